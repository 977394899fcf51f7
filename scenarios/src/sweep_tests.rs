//! Unit tests of `sweep.rs`: ranges and merged conditions.
use super::*;

#[test]
fn ranges_include_their_end_and_keep_integers() {
    let ints = range(Number::Int(0), Number::Int(16), Number::Int(4)).unwrap();
    assert_eq!(
        ints.iter().map(|n| n.text()).collect::<Vec<_>>(),
        ["0", "4", "8", "12", "16"]
    );
    let floats = range(Number::Float(0.1), Number::Float(0.3), Number::Float(0.1)).unwrap();
    assert_eq!(
        floats.iter().map(|n| n.text()).collect::<Vec<_>>(),
        ["0.1", "0.2", "0.3"]
    );
    let odd = range(Number::Int(1), Number::Int(6), Number::Int(2)).unwrap();
    assert_eq!(
        odd.iter().map(|n| n.text()).collect::<Vec<_>>(),
        ["1", "3", "5"]
    );
    assert!(range(Number::Int(1), Number::Int(0), Number::Int(1)).is_err());
    assert!(range(Number::Int(0), Number::Int(1), Number::Int(0)).is_err());
}

#[test]
fn ranges_too_wide_to_count_are_refused() {
    // i64::MAX - i64::MIN passes i64; the float span passes f64 (infinite).
    let ints = range(Number::Int(i64::MIN), Number::Int(i64::MAX), Number::Int(1));
    assert_eq!(ints.unwrap_err(), "more than 100000 values");
    let floats = range(
        Number::Float(-1e308),
        Number::Float(1e308),
        Number::Float(1.0),
    );
    assert_eq!(floats.unwrap_err(), "more than 100000 values");
}

#[test]
fn conditions_merge_into_one_loss() {
    let a = Condition::Loss(vec!["dc-02".into()]);
    let b = Condition::Loss(vec!["dc-01".into(), "dc-02".into()]);
    assert_eq!(
        merge_conditions(&a, &b),
        Condition::Loss(vec!["dc-01".into(), "dc-02".into()])
    );
    assert_eq!(merge_conditions(&Condition::Nominal, &a), a);
}
