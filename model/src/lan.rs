//! The simulated LAN: per-link quality and partitions.
//!
//! A multicast advert is modelled as one independent unicast copy per receiver, because
//! that is what matters to VRRP: on a real switch one backup can miss an advert that
//! another hears (a full receive queue, a flapping port).

use crate::rng::Rng;
use crate::schedule::Quality;
use crate::trace::Drop;

/// What happens to one copy of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It arrives after `after_us`; `held` when reordering held it back.
    Arrives {
        /// One-way latency, µs.
        after_us: u64,
        /// Held back by reordering: it may arrive after packets sent later.
        held: bool,
    },
    /// It never arrives.
    Dropped(Drop),
}

/// Links between `n` routers.
#[derive(Clone, Debug)]
pub struct Lan {
    n: usize,
    base: Quality,
    /// Directed link qualities, `from * n + to`.
    links: Vec<Quality>,
    /// Partition side of each router; all equal when not partitioned.
    sides: Vec<u8>,
}

impl Lan {
    /// `n` routers, every link of quality `base`, no partition.
    pub fn new(n: usize, base: Quality) -> Lan {
        Lan { n, base, links: vec![base; n * n], sides: vec![0; n] }
    }

    /// The quality of the link from `from` to `to`.
    pub fn quality(&self, from: usize, to: usize) -> Quality {
        self.links.get(from * self.n + to).copied().unwrap_or(self.base)
    }

    /// Sets the quality of both directions between `a` and `b`, or of every link.
    pub fn set_quality(&mut self, pair: Option<(usize, usize)>, quality: Quality) {
        match pair {
            None => self.links.iter_mut().for_each(|l| *l = quality),
            Some((a, b)) => {
                for (x, y) in [(a, b), (b, a)] {
                    if let Some(l) = self.links.get_mut(x * self.n + y) {
                        *l = quality;
                    }
                }
            }
        }
    }

    /// Splits the LAN by side label.
    pub fn partition(&mut self, sides: &[u8]) {
        for (i, s) in self.sides.iter_mut().enumerate() {
            *s = sides.get(i).copied().unwrap_or(0);
        }
    }

    /// Removes the partition and restores every link to the base quality.
    pub fn heal(&mut self) {
        self.sides.iter_mut().for_each(|s| *s = 0);
        self.links.iter_mut().for_each(|l| *l = self.base);
    }

    /// Router `r`'s partition side.
    pub fn side(&self, r: usize) -> u8 {
        self.sides.get(r).copied().unwrap_or(0)
    }

    /// True when no link loses or reorders: the LAN is "stable" for the invariants.
    pub fn is_clean(&self) -> bool {
        self.links.iter().all(Quality::is_clean)
    }

    /// Draws the fate of one copy of a packet from `from` to `to`. A held-back packet
    /// waits an extra uniform `0..=2 × interval`, enough to land behind the next advert
    /// or two, which is the reordering that can mislead a VRRP router.
    pub fn transmit(&self, rng: &mut Rng, from: usize, to: usize, interval_us: u64) -> Fate {
        if self.side(from) != self.side(to) {
            return Fate::Dropped(Drop::Partitioned);
        }
        let q = self.quality(from, to);
        if q.loss_permille > 0 && rng.chance(q.loss_permille) {
            return Fate::Dropped(Drop::Lost);
        }
        let mut after_us = u64::from(q.delay_us) + rng.below(u64::from(q.jitter_us) + 1);
        let held = q.reorder_permille > 0 && rng.chance(q.reorder_permille);
        if held {
            after_us += rng.below(2 * interval_us + 1);
        }
        Fate::Arrives { after_us, held }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitioned_routers_cannot_hear_each_other() {
        let mut lan = Lan::new(3, Quality::latency(10, 0));
        lan.partition(&[0, 1, 1]);
        let mut rng = Rng::new(1);
        assert_eq!(lan.transmit(&mut rng, 0, 1, 1000), Fate::Dropped(Drop::Partitioned));
        assert_eq!(lan.transmit(&mut rng, 1, 2, 1000), Fate::Arrives { after_us: 10, held: false });
        lan.heal();
        assert!(matches!(lan.transmit(&mut rng, 0, 1, 1000), Fate::Arrives { .. }));
    }

    #[test]
    fn latency_stays_within_delay_plus_jitter() {
        let lan = Lan::new(2, Quality::latency(100, 1000));
        let mut rng = Rng::new(2);
        for _ in 0..1000 {
            match lan.transmit(&mut rng, 0, 1, 10_000) {
                Fate::Arrives { after_us, held } => {
                    assert!((100..=1100).contains(&after_us));
                    assert!(!held);
                }
                Fate::Dropped(d) => panic!("dropped: {d:?}"),
            }
        }
    }

    #[test]
    fn pair_quality_applies_to_both_directions_only() {
        let mut lan = Lan::new(3, Quality::default());
        let lossy = Quality { loss_permille: 1000, ..Quality::default() };
        lan.set_quality(Some((0, 2)), lossy);
        assert_eq!(lan.quality(2, 0), lossy);
        assert_eq!(lan.quality(0, 1), Quality::default());
        assert!(!lan.is_clean());
        lan.heal();
        assert!(lan.is_clean());
    }
}
