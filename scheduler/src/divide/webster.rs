//! The Webster (Sainte-Laguë) seat dispenser that every Karmada division strategy shares
//! (`pkg/util/helper/webstermethod.go`, since v1.16).

use std::cmp::Ordering;

/// How equal priorities are broken after "fewer seats first".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOrder {
    /// The smaller name wins (binding UID empty or with an even FNV-1a hash).
    SmallerFirst,
    /// The larger name wins (binding UID with an odd FNV-1a hash).
    LargerFirst,
}

impl NameOrder {
    /// Karmada's `tieBreakerByUID`: FNV-1a 32 of the UID; odd → larger names win.
    pub fn for_uid(uid: &str) -> NameOrder {
        if uid.is_empty() {
            return NameOrder::SmallerFirst;
        }
        let mut hash: u32 = 0x811c_9dc5;
        for byte in uid.bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        if hash & 1 == 1 {
            NameOrder::LargerFirst
        } else {
            NameOrder::SmallerFirst
        }
    }
}

/// One party: a name, its votes and the seats it starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party<'a> {
    /// Cluster name; breaks the last ties.
    pub name: &'a str,
    /// Votes (weight); 0 wins only when every party has 0.
    pub votes: i64,
    /// Seats already held.
    pub seats: i64,
}

/// Hands out `new_seats` seats one at a time to the party with the highest priority
/// `votes / (2 * seats + 1)`; ties go to fewer seats, then by `order` on the name.
///
/// Priorities are compared as exact rationals, which agrees with Karmada's float64 comparison
/// for every realistic magnitude and never suffers rounding.
pub fn allocate(parties: &mut [Party<'_>], new_seats: i64, order: NameOrder) {
    if parties.is_empty() {
        return;
    }
    for _ in 0..new_seats.max(0) {
        let mut best = 0;
        for idx in 1..parties.len() {
            if wins(&parties[idx], &parties[best], order) {
                best = idx;
            }
        }
        parties[best].seats += 1;
    }
}

/// True when `a` takes the next seat before `b`.
fn wins(a: &Party<'_>, b: &Party<'_>, order: NameOrder) -> bool {
    // a.votes / (2 a.seats + 1) vs b.votes / (2 b.seats + 1), cross-multiplied.
    let lhs = i128::from(a.votes) * i128::from(2 * b.seats + 1);
    let rhs = i128::from(b.votes) * i128::from(2 * a.seats + 1);
    match lhs.cmp(&rhs) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => match a.seats.cmp(&b.seats) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => match order {
                NameOrder::SmallerFirst => a.name < b.name,
                NameOrder::LargerFirst => a.name > b.name,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(votes: &[(&str, i64)], initial: &[(&str, i64)], seats: i64, expected: &[(&str, i64)]) {
        let mut names: Vec<&str> = votes.iter().chain(initial).map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        let mut parties: Vec<Party> = names
            .iter()
            .map(|name| Party {
                name,
                votes: votes.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v),
                seats: initial
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0, |(_, s)| *s),
            })
            .collect();
        allocate(&mut parties, seats, NameOrder::SmallerFirst);
        let got: Vec<(&str, i64)> = parties.iter().map(|p| (p.name, p.seats)).collect();
        assert_eq!(got, expected);
    }

    // Rows of Karmada's TestAllocateWebsterSeats (webstermethod_test.go).
    #[test]
    fn classic_example_round_eight() {
        let votes = [("A", 100_000), ("B", 80_000), ("C", 30_000), ("D", 20_000)];
        check(&votes, &[], 8, &[("A", 3), ("B", 3), ("C", 1), ("D", 1)]);
        check(&votes, &[], 5, &[("A", 2), ("B", 2), ("C", 1), ("D", 0)]);
    }

    #[test]
    fn old_and_new_parties_compete() {
        check(
            &[("NewParty", 1), ("OldParty", 1)],
            &[("OldParty", 1)],
            2,
            &[("NewParty", 2), ("OldParty", 1)],
        );
    }

    #[test]
    fn initial_party_without_votes_keeps_its_seats() {
        check(&[("A", 100)], &[("B", 3)], 2, &[("A", 2), ("B", 3)]);
    }

    #[test]
    fn static_weights_three_two_one() {
        // assignment_test.go "replica 13, weight 3:2:1" → 7, 4, 2 (fewer seats wins the tie).
        check(
            &[("m1", 3), ("m2", 2), ("m3", 1)],
            &[],
            13,
            &[("m1", 7), ("m2", 4), ("m3", 2)],
        );
        check(
            &[("m1", 3), ("m2", 2), ("m3", 1)],
            &[],
            14,
            &[("m1", 7), ("m2", 5), ("m3", 2)],
        );
    }

    #[test]
    fn uid_parity_picks_name_direction() {
        assert_eq!(NameOrder::for_uid(""), NameOrder::SmallerFirst);
        // FNV-1a 32 of "a" is 0xe40c292c (even), of "b" 0xe70c2de5 (odd).
        assert_eq!(NameOrder::for_uid("a"), NameOrder::SmallerFirst);
        assert_eq!(NameOrder::for_uid("b"), NameOrder::LargerFirst);
        let mut parties = vec![
            Party {
                name: "a",
                votes: 1,
                seats: 0,
            },
            Party {
                name: "b",
                votes: 1,
                seats: 0,
            },
        ];
        allocate(&mut parties, 1, NameOrder::LargerFirst);
        assert_eq!((parties[0].seats, parties[1].seats), (0, 1));
    }
}
