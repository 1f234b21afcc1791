//! Fresh identifiers for requests and records, without a `getrandom` call each: at tens of
//! thousands of requests a second, a system call per id is a measurable share of a request.

use std::cell::Cell;

/// A fresh version-4 UUID: each thread seeds 128 bits once from the system's generator and then
/// counts, mixed by splitmix64's finalizer (a bijection of the counter, so a thread's ids differ
/// before the 6 version and variant bits are set, and a repeat after that needs two 122-bit values
/// to meet; two threads' random seeds make a collision as unlikely as between random UUIDs). Ids identify
/// requests and records; they protect nothing, so being guessable from earlier ones is harmless.
pub(crate) fn fresh_uuid() -> uuid::Uuid {
    thread_local! {
        static STATE: Cell<(u64, u64, u64)> = {
            let seed = uuid::Uuid::new_v4().as_u64_pair();
            Cell::new((seed.0, seed.1, 0))
        };
    }
    let (hi, lo) = STATE.with(|s| {
        let (a, b, n) = s.get();
        s.set((a, b, n.wrapping_add(1)));
        (a ^ mix(n), b ^ mix(n ^ 0x5555_5555_5555_5555))
    });
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_4_and_do_not_repeat() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100_000 {
            let id = fresh_uuid();
            assert_eq!(id.get_version_num(), 4);
            assert!(seen.insert(id), "repeated id {id}");
        }
        // Another thread has its own seed.
        let other = std::thread::spawn(fresh_uuid).join().unwrap();
        assert!(!seen.contains(&other));
    }
}
