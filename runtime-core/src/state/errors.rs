//! The errors of the [`State`](super::State) contract, with the texts every
//! backend reports (memory, SQLite and BoltDB build them here, so the three
//! cannot drift apart). Each function returns the error kind the contract
//! names, with Podman's wording as context.

use crate::error::Error;

/// `NoSuchCtr`: no container with this ID.
pub fn no_ctr(id: &str) -> Error {
    Error::NoSuchCtr.context(format!("no container with ID {id} found in database"))
}

/// `NoSuchPod`: no pod with this ID.
pub fn no_pod(id: &str) -> Error {
    Error::NoSuchPod.context(format!("no pod with ID {id} found in database"))
}

/// `NoSuchVolume`: no volume with this name.
pub fn no_vol(name: &str) -> Error {
    Error::NoSuchVolume.context(format!("no volume with name {name} found in database"))
}

/// `exists` (`CtrExists`, `PodExists`): another object already has this ID.
pub fn id_in_use(exists: Error, id: &str) -> Error {
    exists.context(format!("ID \"{id}\" is in use"))
}

/// `exists` (`CtrExists`, `PodExists`, `VolumeExists`): another object
/// already has this name.
pub fn name_in_use(exists: Error, name: &str) -> Error {
    exists.context(format!("name \"{name}\" is in use"))
}

/// `InvalidArg`: a container lists itself as a dependency.
pub fn self_dependency() -> Error {
    Error::InvalidArg.context("a container cannot depend on itself")
}

/// `NoSuchCtr`: container `ctr` depends on `dep`, which does not exist.
pub fn missing_dependency(ctr: &str, dep: &str) -> Error {
    Error::NoSuchCtr.context(format!("container {ctr} depends on container {dep}"))
}

/// `InvalidArg`: container `ctr` depends on `dep`, which is in another pod
/// (or in none while `ctr` is in one, or the other way round).
pub fn dependency_outside_pod(ctr: &str, dep: &str) -> Error {
    Error::InvalidArg.context(format!(
        "container {ctr} depends on container {dep} which is not in the same pod"
    ))
}

/// `DepExists`: container `id` cannot go while `users` depend on it.
pub fn has_dependents<S: AsRef<str>>(id: &str, users: &[S]) -> Error {
    Error::DepExists.context(format!(
        "container {id} is a dependency of the following containers: {}",
        join(users)
    ))
}

/// `ExecSessionExists`: container `id` cannot go while it has exec sessions.
pub fn has_exec_sessions(id: &str) -> Error {
    Error::ExecSessionExists.context(format!("container {id} has active exec sessions"))
}

/// `InvalidArg`: pod `id` still has containers besides its infra container.
pub fn pod_not_empty(id: &str) -> Error {
    Error::InvalidArg.context(format!("pod {id} is not empty"))
}

/// `DepExists`: container `outside`, not in pod `pod`, depends on the pod's
/// container `member`, so the pod's containers cannot be removed.
pub fn outside_dependent(outside: &str, member: &str, pod: &str) -> Error {
    Error::DepExists.context(format!(
        "container {outside} depends on container {member} in pod {pod}"
    ))
}

/// `InvalidArg`: a container config rewrite tried to change what the
/// database indexes (name, pod or dependencies).
pub fn ctr_rewrite_changes_identity() -> Error {
    Error::InvalidArg.context("a config rewrite may not change name, pod or dependencies")
}

/// `InvalidArg`: a pod config rewrite tried to change the name.
pub fn pod_rewrite_changes_name() -> Error {
    Error::InvalidArg.context("a config rewrite may not change the name")
}

/// `InvalidArg`: a rename's old or new name does not match the stored and
/// the new config.
pub fn rename_mismatch() -> Error {
    Error::InvalidArg.context("rename: names do not match the container")
}

/// `VolumeBeingUsed`: volume `name` cannot go while `users` use it.
pub fn volume_in_use<S: AsRef<str>>(name: &str, users: &[S]) -> Error {
    Error::VolumeBeingUsed.context(format!(
        "volume {name} is being used by the following container(s): {}",
        join(users)
    ))
}

/// `InvalidArg`: container `id` is already attached to `network`.
pub fn already_connected(id: &str, network: &str) -> Error {
    Error::InvalidArg.context(format!(
        "container {id} is already connected to network {network:?}"
    ))
}

/// `InvalidArg`: container `id` is not attached to `network`.
pub fn not_connected(id: &str, network: &str) -> Error {
    Error::InvalidArg.context(format!(
        "container {id} is not connected to network {network:?}"
    ))
}

/// `NoSuchExecSession`: no exec session with this ID.
pub fn no_exec_session(session_id: &str) -> Error {
    Error::NoSuchExecSession.context(format!("no exec session with ID {session_id}"))
}

/// `NoSuchExecSession`: no exec session with this ID in container `ctr_id`.
pub fn no_exec_session_in(session_id: &str, ctr_id: &str) -> Error {
    Error::NoSuchExecSession.context(format!(
        "no exec session with ID {session_id} in container {ctr_id}"
    ))
}

/// `NoSuchExitCode`: no exit code recorded for container `id`.
pub fn no_exit_code(id: &str) -> Error {
    Error::NoSuchExitCode.context(format!("getting exit code of container {id} from DB"))
}

/// `NoSuchExitCode`: no exit-code time stamp recorded for container `id`.
pub fn no_exit_code_time(id: &str) -> Error {
    Error::NoSuchExitCode.context(format!(
        "getting exit code time stamp of container {id} from DB"
    ))
}

fn join<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<&str>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_texts() {
        let e = has_dependents("a", &["b", "c"]);
        assert!(e.is(&Error::DepExists));
        assert!(
            e.to_string()
                .starts_with("container a is a dependency of the following containers: b, c")
        );
        let e = name_in_use(Error::PodExists, "p");
        assert!(e.is(&Error::PodExists));
        assert!(e.to_string().starts_with("name \"p\" is in use"));
        assert!(
            no_exec_session_in("s", "c")
                .to_string()
                .starts_with("no exec session with ID s in container c")
        );
    }
}
