//! An in-process lock manager: locks exclude threads of this process only.
//! For tests and for library users who run a single engine process.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::{LockManager, Locker};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct Slot {
    allocated: bool,
    held: bool,
}

#[derive(Debug)]
struct Shared {
    slots: Mutex<Vec<Slot>>,
    released: Condvar,
}

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        // A panic while holding this std mutex cannot leave the slots
        // inconsistent (every update is a single field write), so recover.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Locks held in this process's memory, `num_locks` of them.
#[derive(Debug, Clone)]
pub struct MemoryLockManager {
    shared: Arc<Shared>,
}

impl MemoryLockManager {
    /// A manager with `num_locks` locks, all free.
    pub fn new(num_locks: u32) -> Self {
        let slots = (0..num_locks).map(|_| Slot::default()).collect();
        MemoryLockManager {
            shared: Arc::new(Shared {
                slots: Mutex::new(slots),
                released: Condvar::new(),
            }),
        }
    }

    fn handle(&self, id: u32) -> Arc<dyn Locker> {
        Arc::new(MemoryLocker {
            id,
            shared: Arc::clone(&self.shared),
        })
    }

    fn check_range(&self, id: u32, len: usize) -> Result<usize> {
        let i = id as usize;
        if i >= len {
            return Err(Error::InvalidArg
                .context(format!("lock ID {id} is out of range (have {len} locks)")));
        }
        Ok(i)
    }
}

impl LockManager for MemoryLockManager {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn allocate(&self) -> Result<Arc<dyn Locker>> {
        let mut slots = self.shared.slots();
        let len = slots.len();
        let free = slots.iter_mut().enumerate().find(|(_, s)| !s.allocated);
        match free {
            Some((i, s)) => {
                s.allocated = true;
                drop(slots);
                Ok(self.handle(i as u32))
            }
            None => Err(Error::LocksExhausted(len as u32)),
        }
    }

    fn retrieve(&self, id: u32) -> Result<Arc<dyn Locker>> {
        let len = self.shared.slots().len();
        self.check_range(id, len)?;
        Ok(self.handle(id))
    }

    fn allocate_given(&self, id: u32) -> Result<Arc<dyn Locker>> {
        let mut slots = self.shared.slots();
        let i = self.check_range(id, slots.len())?;
        if slots[i].allocated {
            return Err(Error::LockAllocated(id));
        }
        slots[i].allocated = true;
        drop(slots);
        Ok(self.handle(id))
    }

    fn free_all(&self) -> Result<()> {
        for s in self.shared.slots().iter_mut() {
            s.allocated = false;
        }
        Ok(())
    }

    fn available(&self) -> Result<Option<u32>> {
        let n = self.shared.slots().iter().filter(|s| !s.allocated).count();
        Ok(Some(n as u32))
    }

    fn allocated_ids(&self) -> Result<Option<Vec<u32>>> {
        Ok(Some(
            self.shared
                .slots()
                .iter()
                .enumerate()
                .filter(|(_, s)| s.allocated)
                .map(|(i, _)| i as u32)
                .collect(),
        ))
    }

    fn locks_held(&self) -> Result<Vec<u32>> {
        Ok(self
            .shared
            .slots()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.held)
            .map(|(i, _)| i as u32)
            .collect())
    }
}

#[derive(Debug)]
struct MemoryLocker {
    id: u32,
    shared: Arc<Shared>,
}

impl Locker for MemoryLocker {
    fn id(&self) -> u32 {
        self.id
    }

    fn lock(&self) -> Result<()> {
        let mut slots = self.shared.slots();
        let i = self.id as usize;
        while slots[i].held {
            slots = self
                .shared
                .released
                .wait(slots)
                .unwrap_or_else(|p| p.into_inner());
        }
        slots[i].held = true;
        Ok(())
    }

    fn unlock(&self) -> Result<()> {
        let mut slots = self.shared.slots();
        let slot = &mut slots[self.id as usize];
        if !slot.held {
            return Err(Error::InvalidArg.context(format!("lock {} is not locked", self.id)));
        }
        slot.held = false;
        drop(slots);
        self.shared.released.notify_all();
        Ok(())
    }

    fn free(&self) -> Result<()> {
        let mut slots = self.shared.slots();
        let slot = &mut slots[self.id as usize];
        if !slot.allocated {
            return Err(Error::LockNotAllocated(self.id));
        }
        slot.allocated = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::LockUnderTest;

    crate::lock_conformance_tests!(|| LockUnderTest::new(
        Box::new(crate::lock::memory::MemoryLockManager::new(64)),
        Some(64),
        ()
    ));
}
