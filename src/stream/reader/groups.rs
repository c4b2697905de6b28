//! The registry of read groups: which groups have a running reader task, and
//! the inbox through which streams join a group and say they left. A group's
//! task exists while the group has a stream (it retires itself, under the
//! registry's lock, when its last stream left and no join is waiting).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::stream::shared::StreamIo;
use crate::wire;

use super::{group, Member};

/// Every read group with a reader task in this process.
pub(crate) struct ReadGroups {
    pub(super) io: Arc<StreamIo>,
    /// The hub's: cancelled at shutdown, which ends every group task.
    pub(super) cancel: CancellationToken,
    tasks: TaskTracker,
    groups: Mutex<HashMap<String, Arc<Group>>>,
}

/// Changes a group's task has not applied yet.
#[derive(Default)]
struct Inbox {
    /// Streams that found their start position and wait to be read.
    joins: Vec<Member>,
    /// A stream of the group was cancelled (its task prunes cancelled streams).
    left: bool,
}

/// One read group, as its streams and its reader task share it.
pub(crate) struct Group {
    /// `wire::read_group` of its keys.
    pub name: String,
    inbox: Mutex<Inbox>,
    /// Signalled on every change (a permit is kept if the task is not waiting).
    pub(super) wake: Notify,
}

impl Group {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stream of this group was cancelled (reaped, evicted, shut down).
    pub fn left(&self) {
        self.inbox().left = true;
        self.wake.notify_one();
    }

    /// Whether a join or a leave waits to be applied.
    pub(super) fn has_changes(&self) -> bool {
        let inbox = self.inbox();
        inbox.left || !inbox.joins.is_empty()
    }

    /// Takes every pending join (and the leave flag: the caller prunes).
    pub(super) fn take_joins(&self) -> Vec<Member> {
        let mut inbox = self.inbox();
        inbox.left = false;
        std::mem::take(&mut inbox.joins)
    }
}

impl ReadGroups {
    /// No group yet; group tasks run on `tasks` until `cancel`.
    pub fn new(io: Arc<StreamIo>, cancel: CancellationToken, tasks: TaskTracker) -> ReadGroups {
        ReadGroups {
            io,
            cancel,
            tasks,
            groups: Mutex::new(HashMap::new()),
        }
    }

    fn groups(&self) -> MutexGuard<'_, HashMap<String, Arc<Group>>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `member` (its start position known) to its group's reader,
    /// starting the group's task if the group had no stream.
    pub fn join(self: &Arc<Self>, member: Member) -> Arc<Group> {
        let name = wire::read_group(&member.shared.key);
        let mut groups = self.groups();
        let group = match groups.get(&name) {
            Some(group) => Arc::clone(group),
            None => {
                let group = Arc::new(Group {
                    name: name.clone(),
                    inbox: Mutex::new(Inbox::default()),
                    wake: Notify::new(),
                });
                groups.insert(name, Arc::clone(&group));
                self.tasks
                    .spawn(group::run(Arc::clone(self), Arc::clone(&group)));
                group
            }
        };
        group.inbox().joins.push(member);
        group.wake.notify_one();
        group
    }

    /// Called by `group`'s task when it has no stream left: takes the group
    /// out of the registry unless a join is waiting. `true`: the task ends.
    /// Joins push under the same lock, so none can reach a retired group.
    pub(super) fn retire(&self, group: &Arc<Group>) -> bool {
        let mut groups = self.groups();
        if !group.inbox().joins.is_empty() {
            return false;
        }
        if groups
            .get(&group.name)
            .is_some_and(|g| Arc::ptr_eq(g, group))
        {
            groups.remove(&group.name);
        }
        true
    }
}
