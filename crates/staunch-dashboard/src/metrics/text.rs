//! A small writer for the Prometheus text exposition format (version 0.0.4).
//!
//! Each metric family is written once, as `# HELP`, `# TYPE` and its samples, so the output
//! parses even when several breakers report the same family. Label values are escaped as
//! the format requires (backslash, double quote, newline).

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The kind of a metric family, as written on its `# TYPE` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

/// Accumulates families into one exposition text.
#[derive(Debug, Default)]
pub(crate) struct Exposition {
    out: String,
    /// Families already present, from an external recorder or written here.
    families: BTreeSet<String>,
}

impl Exposition {
    /// Starts with the output of an external recorder; families it already holds are skipped
    /// by [`Exposition::family`] so that no family appears twice.
    pub(crate) fn with_external(text: String) -> Self {
        let families = text
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        let mut out = text;
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        Self { out, families }
    }

    /// Writes one family with its samples, unless a family of that name is already present
    /// or there are no samples.
    pub(crate) fn family(&mut self, name: &str, kind: Kind, help: &str, samples: &[Sample]) {
        if samples.is_empty() || !self.families.insert(name.to_owned()) {
            return;
        }
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
        for sample in samples {
            self.out.push_str(name);
            write_labels(&mut self.out, &sample.labels);
            let _ = writeln!(self.out, " {}", format_value(sample.value));
        }
    }

    /// The finished text.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// One sample: label pairs and a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) labels: Vec<(&'static str, String)>,
    pub(crate) value: f64,
}

impl Sample {
    pub(crate) fn new(labels: Vec<(&'static str, String)>, value: f64) -> Self {
        Self { labels, value }
    }
}

fn write_labels(out: &mut String, labels: &[(&'static str, String)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (key, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // `Display` for f64 never uses exponents and prints integers without a fraction.
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_help_type_and_escaped_labels() {
        let mut exposition = Exposition::default();
        let samples = [Sample::new(vec![("name", "a\"b\\c\nd".into())], 1.0)];
        exposition.family("x_total", Kind::Counter, "Things.", &samples);
        assert_eq!(
            exposition.finish(),
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total{name=\"a\\\"b\\\\c\\nd\"} 1\n"
        );
    }

    #[test]
    fn skips_families_the_external_text_has_and_empty_ones() {
        let external = "# TYPE x_total counter\nx_total 3".to_owned();
        let mut exposition = Exposition::with_external(external);
        exposition.family(
            "x_total",
            Kind::Counter,
            "Dup.",
            &[Sample::new(vec![], 1.0)],
        );
        exposition.family("y", Kind::Gauge, "Empty.", &[]);
        exposition.family("z", Kind::Gauge, "Rate.", &[Sample::new(vec![], 0.25)]);
        assert_eq!(
            exposition.finish(),
            "# TYPE x_total counter\nx_total 3\n# HELP z Rate.\n# TYPE z gauge\nz 0.25\n"
        );
    }

    #[test]
    fn formats_special_values() {
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(12.0), "12");
    }
}
