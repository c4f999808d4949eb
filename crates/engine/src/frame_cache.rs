//! Encoded frames kept in memory for going back and forth between recent items, bounded
//! by their bytes rather than their count: a dozen chest radiographs, or hundreds of CT
//! slices, but never a dozen mammograms' worth of hundreds of megabytes.

use std::collections::HashSet;
use std::sync::Arc;

use lru::LruCache;

/// An item's frame: (item id, frame index).
type FrameKey = (i64, u32);

pub(crate) struct FrameCache {
    /// Each frame with its item's tenant: a frame kept for one person is not shown to
    /// the next unless their scope holds it too.
    frames: LruCache<FrameKey, (String, Arc<Vec<u8>>)>,
    bytes: usize,
    budget: usize,
}

impl FrameCache {
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            frames: LruCache::unbounded(),
            bytes: 0,
            budget,
        }
    }

    /// The frame and its tenant, marked as just used.
    pub(crate) fn get(&mut self, key: FrameKey) -> Option<(String, Arc<Vec<u8>>)> {
        self.frames.get(&key).cloned()
    }

    /// Keeps a frame, dropping the least recently used ones past the budget; a frame
    /// larger than the whole budget is not kept.
    pub(crate) fn put(&mut self, key: FrameKey, tenant: String, frame: Arc<Vec<u8>>) {
        if frame.len() > self.budget {
            return;
        }
        self.bytes += frame.len();
        if let Some((_, old)) = self.frames.put(key, (tenant, frame)) {
            self.bytes -= old.len();
        }
        while self.bytes > self.budget {
            match self.frames.pop_lru() {
                Some((_, (_, dropped))) => self.bytes -= dropped.len(),
                None => break,
            }
        }
    }

    /// Forgets every frame of these items (they were purged).
    pub(crate) fn forget_items(&mut self, items: &HashSet<i64>) {
        let stale: Vec<FrameKey> = self
            .frames
            .iter()
            .map(|(key, _)| *key)
            .filter(|(id, _)| items.contains(id))
            .collect();
        for key in stale {
            if let Some((_, dropped)) = self.frames.pop(&key) {
                self.bytes -= dropped.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize) -> Arc<Vec<u8>> {
        Arc::new(vec![0; len])
    }

    #[test]
    fn the_least_recently_used_frames_go_once_the_bytes_pass_the_budget() {
        let mut cache = FrameCache::new(100);
        cache.put((1, 0), "t".into(), frame(40));
        cache.put((2, 0), "t".into(), frame(40));
        assert!(cache.get((1, 0)).is_some(), "item 1 is now the most recent");
        cache.put((3, 0), "t".into(), frame(40));
        assert!(cache.get((2, 0)).is_none(), "item 2 was the least recent");
        assert!(cache.get((1, 0)).is_some() && cache.get((3, 0)).is_some());
        assert_eq!(cache.bytes, 80);

        // Many small frames fit where few large ones did.
        for i in 0..10 {
            cache.put((4, i), "t".into(), frame(10));
        }
        assert_eq!(cache.bytes, 100);
        assert_eq!(cache.frames.len(), 10);
    }

    #[test]
    fn a_frame_put_again_is_counted_once_and_an_oversized_one_is_not_kept() {
        let mut cache = FrameCache::new(100);
        cache.put((1, 0), "t".into(), frame(60));
        cache.put((1, 0), "t".into(), frame(30));
        assert_eq!(cache.bytes, 30);
        cache.put((2, 0), "t".into(), frame(101));
        assert!(cache.get((2, 0)).is_none());
        assert!(cache.get((1, 0)).is_some());
        cache.forget_items(&HashSet::from([1]));
        assert_eq!((cache.bytes, cache.frames.len()), (0, 0));
    }
}
