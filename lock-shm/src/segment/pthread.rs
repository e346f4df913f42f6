//! The pthread calls on the robust, process-shared mutexes inside the
//! segment: attributes, initialisation, locking (recovering a dead owner's
//! lock) and unlocking.

use rpod_runtime_core::{Error, Result};

use super::sys_err;

/// RAII wrapper for the mutex attributes libpod uses.
pub(super) struct MutexAttr(Box<libc::pthread_mutexattr_t>);

impl MutexAttr {
    /// `PTHREAD_MUTEX_NORMAL`, `PTHREAD_PROCESS_SHARED`, `PTHREAD_MUTEX_ROBUST`.
    pub(super) fn new(name: &str) -> Result<MutexAttr> {
        // SAFETY: pthread_mutexattr_t is plain data; all-zero is a valid
        // value to pass to pthread_mutexattr_init, which overwrites it.
        let mut attr = MutexAttr(Box::new(unsafe { std::mem::zeroed() }));
        let p: *mut libc::pthread_mutexattr_t = &mut *attr.0;
        // SAFETY: `p` points to a live, boxed (never moving) attribute object.
        let rc = unsafe { libc::pthread_mutexattr_init(p) };
        if rc != 0 {
            // Not initialised: do not run Drop (destroy) on it.
            std::mem::forget(attr);
            return Err(sys_err(name, "initialising mutex attributes", rc));
        }
        let check = |rc: i32, what: &str| match rc {
            0 => Ok(()),
            rc => Err(sys_err(name, what, rc)),
        };
        // SAFETY: `p` is an initialised attribute object.
        let rc = unsafe { libc::pthread_mutexattr_settype(p, libc::PTHREAD_MUTEX_NORMAL) };
        check(rc, "setting the mutex type")?;
        // SAFETY: `p` is an initialised attribute object.
        let rc = unsafe { libc::pthread_mutexattr_setpshared(p, libc::PTHREAD_PROCESS_SHARED) };
        check(rc, "making the mutex process-shared")?;
        // SAFETY: `p` is an initialised attribute object.
        let rc = unsafe { libc::pthread_mutexattr_setrobust(p, libc::PTHREAD_MUTEX_ROBUST) };
        check(rc, "making the mutex robust")?;
        Ok(attr)
    }

    pub(super) fn as_ptr(&self) -> *const libc::pthread_mutexattr_t {
        &*self.0
    }
}

impl Drop for MutexAttr {
    fn drop(&mut self) {
        // SAFETY: the object was initialised by pthread_mutexattr_init
        // (construction forgets it otherwise) and is destroyed only here.
        unsafe { libc::pthread_mutexattr_destroy(&mut *self.0) };
    }
}

/// Initialises the mutex at `m` with `attr`.
pub(super) fn init_mutex(
    name: &str,
    m: *mut libc::pthread_mutex_t,
    attr: &MutexAttr,
) -> Result<()> {
    // SAFETY: `m` points inside a mapping of a segment this process just
    // created and that no other process can use yet (the magic is unset, so
    // openers wait), so no one else is using this mutex.
    let rc = unsafe { libc::pthread_mutex_init(m, attr.as_ptr()) };
    if rc != 0 {
        return Err(sys_err(name, "initialising a lock", rc));
    }
    Ok(())
}

/// Result of trying to take a mutex.
pub(super) enum Taken {
    Yes,
    Busy,
}

/// Locks `m`, recovering it when its previous owner died.
pub(super) fn lock_mutex(
    name: &str,
    id: Option<u32>,
    m: *mut libc::pthread_mutex_t,
    try_only: bool,
) -> Result<Taken> {
    loop {
        // SAFETY: `m` points to an initialised process-shared mutex inside a
        // mapping that outlives this call (callers hold `&Segment`).
        let rc = unsafe {
            if try_only {
                libc::pthread_mutex_trylock(m)
            } else {
                libc::pthread_mutex_lock(m)
            }
        };
        match rc {
            0 => return Ok(Taken::Yes),
            libc::EBUSY if try_only => return Ok(Taken::Busy),
            libc::EAGAIN => continue,
            libc::EOWNERDEAD => {
                // The previous owner died holding it. The data it protects
                // (bitmap words, or nothing for container locks) is always
                // consistent, so mark the mutex usable and keep it.
                match id {
                    Some(id) => tracing::warn!(lock = id, "recovered a lock whose holder died"),
                    None => tracing::warn!("recovered the segment lock from a dead holder"),
                }
                // SAFETY: the calling thread owns `m` (EOWNERDEAD means the
                // lock was acquired), as pthread_mutex_consistent requires.
                let rc = unsafe { libc::pthread_mutex_consistent(m) };
                if rc != 0 {
                    return Err(sys_err(name, "recovering a lock from a dead holder", rc));
                }
                return Ok(Taken::Yes);
            }
            rc => {
                let what = match id {
                    Some(id) => format!("locking lock {id}"),
                    None => "locking the lock segment".to_string(),
                };
                return Err(sys_err(name, what, rc));
            }
        }
    }
}

/// Unlocks `m`; EPERM (not held by this thread) is `InvalidArg`.
pub(super) fn unlock_mutex(
    name: &str,
    id: Option<u32>,
    m: *mut libc::pthread_mutex_t,
) -> Result<()> {
    // SAFETY: `m` points to an initialised robust mutex in a live mapping.
    // glibc checks the owner of robust mutexes, so an unlock from a thread
    // that does not hold it returns EPERM instead of corrupting it.
    let rc = unsafe { libc::pthread_mutex_unlock(m) };
    if rc == 0 {
        return Ok(());
    }
    let what = match id {
        Some(id) => format!("lock {id}"),
        None => "the segment lock".to_string(),
    };
    match rc {
        libc::EPERM => Err(Error::InvalidArg.context(format!("{what} is not held by this thread"))),
        rc => Err(sys_err(name, format!("unlocking {what}"), rc)),
    }
}
