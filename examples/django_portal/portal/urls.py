"""The portal's URLs: sign-in (Django's auth views), the form, and the live-log page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from logs import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.index, name="index"),
    # /logs/?minion_id=web-01&path=/var/log/app.log&lines=200 (what the form sends)
    path("logs/", views.watch_from_form, name="watch-form"),
    # /logs/web-01/?path=/var/log/app.log&lines=200 (a link another page can build)
    path("logs/<str:minion_id>/", views.watch_log, name="watch-log"),
]
