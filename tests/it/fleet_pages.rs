//! The ops pages of the fleet view against the real stack: the index page
//! lists the configured targets, `/targets/{name}` shows a target and its
//! form, and the form post (signed in, CSRF token + cookie) starts the fleet
//! view and redirects to the target page showing each minion's outcome and
//! the link to `fleet/<ticket>`.

use crate::api_support::*;
use crate::stack_minions::minion_file;
use crate::support::stack::stack;

fn token_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field: {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("closing quote")].to_owned()
}

#[tokio::test]
async fn a_target_page_starts_the_fleet_view_and_shows_each_minion() {
    let app = spawn_app(&[]).await;
    let s = stack();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let get = |path: String| {
        http.get(format!("{}{path}", app.base))
            .basic_auth(s.get("OPS_USER"), Some(s.get("OPS_PASSWORD")))
    };

    let index = get(String::new()).send().await.expect("GET /");
    let index = index.text().await.expect("body");
    for name in ["pair", "web", "webrole"] {
        assert!(
            index.contains(&format!("targets/{name}\"")),
            "the index links target {name}: {index}"
        );
    }

    let page = get("targets/pair".into()).send().await.expect("GET");
    assert_eq!(page.status().as_u16(), 200);
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the csrf cookie")
        .to_owned();
    let html = page.text().await.expect("body");
    assert!(
        html.contains("web-01 and web-02"),
        "the description: {html}"
    );
    let csrf = token_of(&html);

    let name = format!("fleet-page-{}.log", unique());
    for id in ["web-01", "web-02"] {
        let (_, host) = minion_file(id, &name);
        std::fs::write(&host, format!("page line of {id}\n")).expect("write");
    }
    let (seen, _) = minion_file("web-01", &name);
    let posted = http
        .post(format!("{}targets/pair/tail", app.base))
        .basic_auth(s.get("OPS_USER"), Some(s.get("OPS_PASSWORD")))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("log_path", seen.as_str()),
            ("line_count", "5"),
        ])
        .send()
        .await
        .expect("POST");
    assert!(posted.status().is_redirection(), "{posted:?}");
    let to = posted
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned();
    let after = to
        .split_once("targets/pair?fleet=")
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| panic!("redirects to the target page with the ticket: {to}"));
    let shown = get(format!("targets/pair?fleet={after}"))
        .send()
        .await
        .expect("GET after the post")
        .text()
        .await
        .expect("body");
    assert!(
        shown.contains(&format!("fleet/{after}\"")),
        "links the fleet view: {shown}"
    );
    for id in ["web-01", "web-02"] {
        assert!(
            shown.contains(&format!("<span class=\"mono\">{id}</span>: in the view")),
            "{id} is in the view: {shown}"
        );
    }

    // Without the token: refused, nothing started.
    let forged = http
        .post(format!("{}targets/pair/tail", app.base))
        .basic_auth(s.get("OPS_USER"), Some(s.get("OPS_PASSWORD")))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", "forged"),
            ("log_path", seen.as_str()),
            ("line_count", "5"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status().as_u16(), 403);

    let unknown = get("targets/nosuch".into()).send().await.expect("GET");
    assert_eq!(unknown.status().as_u16(), 404);
    let anonymous = http
        .get(format!("{}targets/pair", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(anonymous.status().as_u16(), 401);
}
