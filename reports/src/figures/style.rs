//! How figures look: a palette that survives greyscale and colour blindness, dash patterns,
//! and time axes in a readable unit.

use plotters::style::RGBColor;

/// Okabe–Ito colours, in the order series take them: distinguishable with any common form of
/// colour blindness. Yellow comes late: it is faint on white.
const OKABE_ITO: [(u8, u8, u8); 8] = [
    (0x00, 0x72, 0xB2), // blue
    (0xE6, 0x9F, 0x00), // orange
    (0x00, 0x9E, 0x73), // bluish green
    (0xD5, 0x5E, 0x00), // vermillion
    (0xCC, 0x79, 0xA7), // reddish purple
    (0x56, 0xB4, 0xE9), // sky blue
    (0x00, 0x00, 0x00), // black
    (0xF0, 0xE4, 0x42), // yellow
];

/// SVG `stroke-dasharray` values: series also differ by pattern, which greyscale keeps.
const DASHES: [&str; 5] = ["", "8 4", "2 3", "10 3 2 3", "14 6"];

/// The colour of series `idx`.
///
/// Past the eighth series the colours repeat with a different dash pattern; the blue channel
/// is nudged by one step per round, invisibly, so that every series has its own colour
/// string in the SVG and [`apply_dashes`] can find its lines.
pub(crate) fn colour(idx: usize) -> RGBColor {
    let (r, g, b) = OKABE_ITO[idx % OKABE_ITO.len()];
    let round = (idx / OKABE_ITO.len()) as u8;
    RGBColor(r, g, b.wrapping_add(round))
}

/// The dash pattern of series `idx`.
fn dash(idx: usize) -> &'static str {
    DASHES[idx % DASHES.len()]
}

/// Adds each series' dash pattern to the lines drawn in its colour. plotters' SVG backend
/// draws dashed lines as one element per dash; a `stroke-dasharray` attribute draws the same
/// in one element.
pub(crate) fn apply_dashes(svg: &str, n_series: usize) -> String {
    let mut svg = svg.to_owned();
    for idx in 0..n_series {
        let pattern = dash(idx);
        if pattern.is_empty() {
            continue;
        }
        let RGBColor(r, g, b) = colour(idx);
        let stroke = format!("stroke=\"#{r:02X}{g:02X}{b:02X}\"");
        svg = svg.replace(
            &format!("<polyline fill=\"none\" opacity=\"1\" {stroke}"),
            &format!(
                "<polyline fill=\"none\" opacity=\"1\" stroke-dasharray=\"{pattern}\" {stroke}"
            ),
        );
    }
    svg
}

/// A unit for a time axis: seconds are divided by `secs` and labelled `name`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TimeUnit {
    pub secs: f64,
    pub name: &'static str,
}

/// The largest unit in which `span_s` is at least 3: days for a month, hours for a day.
pub(crate) fn time_unit(span_s: f64) -> TimeUnit {
    const UNITS: [TimeUnit; 4] = [
        TimeUnit {
            secs: 86_400.0,
            name: "days",
        },
        TimeUnit {
            secs: 3_600.0,
            name: "h",
        },
        TimeUnit {
            secs: 60.0,
            name: "min",
        },
        TimeUnit {
            secs: 1.0,
            name: "s",
        },
    ];
    UNITS
        .into_iter()
        .find(|unit| span_s >= 3.0 * unit.secs)
        .unwrap_or(UNITS[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_axes_use_the_largest_unit_with_three_of_them() {
        assert_eq!(time_unit(30.0 * 86_400.0).name, "days");
        assert_eq!(time_unit(2.0 * 86_400.0).name, "h");
        assert_eq!(time_unit(7230.0).name, "min");
        assert_eq!(time_unit(100.0).name, "s");
    }

    #[test]
    fn every_series_of_forty_has_its_own_colour_string() {
        let colours: std::collections::BTreeSet<(u8, u8, u8)> = (0..40)
            .map(|idx| {
                let RGBColor(r, g, b) = colour(idx);
                (r, g, b)
            })
            .collect();
        assert_eq!(colours.len(), 40);
    }

    #[test]
    fn dashes_go_on_the_series_lines_only() {
        let RGBColor(r, g, b) = colour(1);
        let line = format!(
            "<polyline fill=\"none\" opacity=\"1\" stroke=\"#{r:02X}{g:02X}{b:02X}\" points=\"0,0\"/>"
        );
        let dashed = apply_dashes(&line, 2);
        assert!(dashed.contains("stroke-dasharray=\"8 4\""), "{dashed}");
        assert_eq!(apply_dashes(&line, 1), line);
    }
}
