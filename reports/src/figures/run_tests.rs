//! Tests of the run figures' readers, against tables written by hand.

use super::*;

/// Table `stem` of `dir` written as CSV from `text`, opened with its header's columns.
fn csv_table(dir: &Path, stem: &str, schema: &'static [tables::Column], text: &str) -> Table {
    std::fs::write(dir.join(format!("{stem}.csv")), text).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    open_table(dir, stem, schema, &header, TableFormat::Csv).unwrap()
}

#[test]
fn timeline_series_follow_the_rows_and_a_model_appearing_late_stacks_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let table = csv_table(
        dir.path(),
        "timeline",
        &tables::TIMELINE,
        "time_s,cluster,gpu_model,allocated_gpus,capacity_gpus,fragment_gpus\n\
         0.000,c1,b,0.000,8.000,0.000\n\
         0.000,c2,b,0.000,4.000,0.000\n\
         10.000,c1,b,4.000,8.000,1.000\n\
         20.000,c2,a,2.000,4.000,0.000\n\
         30.000,c1,b,8.000,8.000,0.000\n",
    );
    let groups = BTreeMap::from([(
        "all".to_owned(),
        Balance {
            clusters: vec!["c1".into(), "c2".into(), "c3".into()],
            ..Balance::default()
        },
    )]);
    let series = timeline_series(&table, &groups, &Steps::new(40.0, 800)).unwrap();
    let drawn = |steps: &Steps| steps.clone().polyline();
    // c1: 0/8, 4/8 at 10 s, 8/8 at 30 s. c2: 0/4, then 2 of its 8 GPUs (4 a, 4 b) at 20 s.
    assert_eq!(
        drawn(&series.utilization["c1"]),
        [
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 50.0),
            (30.0, 50.0),
            (30.0, 100.0),
            (40.0, 100.0)
        ]
    );
    assert_eq!(
        drawn(&series.utilization["c2"]),
        [(0.0, 0.0), (20.0, 0.0), (20.0, 25.0), (40.0, 25.0)]
    );
    assert_eq!(series.fragment["c1"].max(), 1.0);
    assert_eq!(series.fragment["c2"].max(), 0.0);
    // Model a, first seen at 20 s, is the lower edge: 0 until then, 2 after; b sits on it.
    let names: Vec<&str> = series.stacked.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        drawn(&series.stacked[0].1),
        [
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 0.0),
            (20.0, 0.0),
            (20.0, 2.0),
            (30.0, 2.0),
            (30.0, 2.0),
            (40.0, 2.0)
        ]
    );
    assert_eq!(
        drawn(&series.stacked[1].1)
            .into_iter()
            .skip(1)
            .step_by(2)
            .collect::<Vec<_>>(),
        [(10.0, 0.0), (20.0, 4.0), (30.0, 6.0), (40.0, 10.0)]
    );
    assert_eq!(
        drawn(&series.fleet_capacity),
        [
            (0.0, 12.0),
            (10.0, 12.0),
            (10.0, 12.0),
            (20.0, 12.0),
            (20.0, 16.0),
            (30.0, 16.0),
            (30.0, 16.0),
            (40.0, 16.0)
        ]
    );
    assert_eq!(series.fleet_allocated.max(), 10.0);
    // Spread among c1 and c2 (c3 never appears): 50 − 0, 50 − 25, 100 − 25.
    assert_eq!(
        drawn(&series.spread["all"])
            .into_iter()
            .step_by(2)
            .collect::<Vec<_>>(),
        [(0.0, 0.0), (10.0, 50.0), (20.0, 25.0), (30.0, 75.0)]
    );
}

#[test]
fn use_above_budget_is_found_at_the_values_in_force_only() {
    let dir = tempfile::tempdir().unwrap();
    // team-a: budget 4, use 3 from 5 s (a 6 at 5 s is replaced at once), 6 from 8 s: over;
    // budget 8 from 12 s. team-c: a 6 replaced at once, never over. team-b: no budget.
    let table = csv_table(
        dir.path(),
        "quota",
        &tables::QUOTA,
        "time_s,namespace,gpus_in_use,budget_gpus\n\
         0.000,team-a,0.000,4\n\
         0.000,team-b,0.000,\n\
         0.000,team-c,0.000,4\n\
         3.000,team-c,6.000,\n\
         3.000,team-c,3.000,\n\
         5.000,team-a,6.000,\n\
         5.000,team-a,3.000,\n\
         8.000,team-a,6.000,\n\
         9.000,team-b,2.000,\n\
         12.000,team-a,6.000,8\n",
    );
    let quota = quota_series(&table, &Steps::new(20.0, 800)).unwrap();
    let (a, b, c) = (&quota["team-a"], &quota["team-b"], &quota["team-c"]);
    assert!(a.exceeded && !c.exceeded);
    assert!(b.budget.is_none());
    let corners = |steps: &Steps| {
        let drawn = steps.clone().polyline();
        drawn.into_iter().step_by(2).collect::<Vec<_>>()
    };
    assert_eq!(
        corners(&a.over),
        [(0.0, 4.0), (5.0, 4.0), (8.0, 6.0), (12.0, 8.0)]
    );
    assert_eq!(
        corners(&a.used),
        [(0.0, 0.0), (5.0, 3.0), (8.0, 6.0), (12.0, 6.0)]
    );
    assert_eq!(
        corners(a.budget.as_ref().unwrap()),
        [(0.0, 4.0), (12.0, 8.0)]
    );
    let chart = quota_chart(quota, 20.0, time_unit(20.0)).unwrap();
    let names: Vec<&str> = chart
        .areas
        .iter()
        .filter_map(|a| a.name.as_deref())
        .collect();
    assert_eq!(names, ["team-a over budget"]);
}

#[test]
fn outages_run_from_the_first_down_to_the_next_up_or_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let table = csv_table(
        dir.path(),
        "events",
        &tables::EVENTS,
        "time_s,kind,cluster\n\
         5.000,cluster_down,c1\n\
         6.000,cluster_down,c1\n\
         7.000,cluster_down,c2\n\
         8.000,node_down,c1\n\
         9.000,cluster_up,c1\n\
         10.000,cluster_up,c3\n",
    );
    assert_eq!(outages(&table, 50.0).unwrap(), [(5.0, 9.0), (7.0, 50.0)]);
}

#[test]
fn jobs_give_waits_per_class_and_unschedulable_reasons_most_common_first() {
    let dir = tempfile::tempdir().unwrap();
    let table = csv_table(
        dir.path(),
        "jobs",
        &tables::JOBS,
        "priority_class,wait_s,state,last_failure\n\
         ,30.000,completed,\n\
         high,0.000,running,\n\
         ,600.000,completed,\n\
         ,,unschedulable,y\n\
         ,,unschedulable,x\n\
         ,,unschedulable,\n\
         low,,unschedulable,y\n\
         ,,unschedulable,x\n",
    );
    let jobs = read_jobs(&table).unwrap();
    assert_eq!(
        jobs.unschedulable,
        [
            ("x".to_owned(), 2),
            ("y".to_owned(), 2),
            ("(no reason given)".to_owned(), 1)
        ]
    );
    let chart = jobs.waiting_cdf.unwrap();
    // The longest wait, 600 s, is 10 min: the axis is in minutes.
    assert_eq!(chart.x_range, (0.0, 10.0));
    let lines: Vec<(&str, Vec<(f64, f64)>)> = chart
        .lines
        .iter()
        .map(|l| (l.name.as_str(), l.points.clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                "(none) (2 jobs)",
                vec![
                    (0.0, 0.0),
                    (0.5, 0.0),
                    (0.5, 50.0),
                    (10.0, 50.0),
                    (10.0, 100.0),
                    (10.0, 100.0)
                ]
            ),
            (
                "high (1 jobs)",
                vec![(0.0, 0.0), (0.0, 0.0), (0.0, 100.0), (10.0, 100.0)]
            ),
        ]
    );
}

#[test]
fn utilization_axes_stop_at_one_hundred_percent() {
    let what = LinesOverTime {
        title: "GPU utilization",
        y_label: "%",
        percent: true,
    };
    let chart = lines_over_time(what, BTreeMap::new(), 100.0, time_unit(100.0));
    assert_eq!(chart.y_range, (0.0, 100.0));
}
