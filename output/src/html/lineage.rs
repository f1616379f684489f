//! An alert's lineage as inline SVG: the process tree on the left, each process a row, and on
//! a shared time axis the click, the egress, the write and the follow-ons marked on the row of
//! the process that did them.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use clickchain::alert::{fmt_time, Alert, FollowOn};

use super::escape::{shortened, Escaped};
use crate::file_name;

const ROW: i64 = 30;
const TOP: i64 = 34;
const TREE_WIDTH: i64 = 330;
const PLOT_WIDTH: i64 = 560;
const INDENT: i64 = 16;
const LABEL_CHARS: usize = 32;

/// One row: a process at a depth in the tree.
struct Node<'a> {
    image: &'a str,
    depth: i64,
    parent: Option<usize>,
    note: Option<String>,
}

/// One mark on the time axis.
struct Mark {
    row: usize,
    time: DateTime<Utc>,
    class: &'static str,
    label: String,
}

/// The row of `image`: its last place in the lineage, or a new row under the lineage's end.
fn row_of<'a>(nodes: &mut Vec<Node<'a>>, lineage_len: usize, image: &'a str, note: &str) -> usize {
    if let Some(i) = nodes[..lineage_len].iter().rposition(|n| n.image == image) {
        return i;
    }
    nodes.push(Node { image, depth: lineage_len as i64, parent: Some(lineage_len - 1), note: Some(note.to_owned()) });
    nodes.len() - 1
}

/// The SVG for `alert` and its `follow_ons`.
pub(super) fn svg(alert: &Alert, follow_ons: &[&FollowOn]) -> String {
    let mut nodes: Vec<Node> = alert
        .lineage
        .iter()
        .enumerate()
        .map(|(i, image)| Node { image, depth: i as i64, parent: i.checked_sub(1), note: None })
        .collect();
    if nodes.is_empty() {
        nodes.push(Node { image: &alert.write.process, depth: 0, parent: None, note: None });
    }
    let lineage_len = nodes.len();
    let mut marks = Vec::new();
    if let Some(c) = &alert.click {
        let label = if c.observed { "click" } else { "click (inferred)" };
        marks.push(Mark { row: 0, time: c.time, class: "click", label: label.into() });
    }
    if let Some(e) = &alert.egress {
        let row = row_of(&mut nodes, lineage_len, &e.process, "egress, not in lineage");
        let to = e.domain.as_deref().unwrap_or(&e.ip);
        marks.push(Mark { row, time: e.time, class: "egress", label: format!("egress {to}") });
    }
    let row = row_of(&mut nodes, lineage_len, &alert.write.process, "writer, not in lineage");
    marks.push(Mark {
        row,
        time: alert.write.time,
        class: "write",
        label: format!("write {}", file_name(&alert.write.path)),
    });
    for f in follow_ons {
        let parent = Some(lineage_len - 1);
        nodes.push(Node { image: &f.process, depth: lineage_len as i64, parent, note: Some(f.kind.to_string()) });
        marks.push(Mark { row: nodes.len() - 1, time: f.time, class: "follow", label: f.kind.to_string() });
    }
    draw(&nodes, &marks)
}

fn draw(nodes: &[Node], marks: &[Mark]) -> String {
    let t0 = marks.iter().map(|m| m.time).min().unwrap_or_default();
    let t1 = marks.iter().map(|m| m.time).max().unwrap_or_default();
    let span_ms = (t1 - t0).num_milliseconds().max(1);
    let x = |t: DateTime<Utc>| TREE_WIDTH + 20 + (t - t0).num_milliseconds() * (PLOT_WIDTH - 40) / span_ms;
    let y = |row: usize| TOP + row as i64 * ROW;
    let axis_y = y(nodes.len()) + 4;
    let (width, height) = (TREE_WIDTH + PLOT_WIDTH, axis_y + 40);

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="lineage" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="process lineage on a time axis">"#
    );
    let _ = write!(s, r#"<text class="heading" x="8" y="16">process tree</text>"#);
    let _ = write!(s, r#"<text class="heading" x="{}" y="16">time</text>"#, TREE_WIDTH + 20);
    for (i, n) in nodes.iter().enumerate() {
        let (nx, ny) = (8 + n.depth * INDENT, y(i));
        let _ = write!(s, r#"<line class="row" x1="{TREE_WIDTH}" y1="{ny}" x2="{width}" y2="{ny}"/>"#);
        if let Some(parent) = n.parent {
            let px = 8 + nodes[parent].depth * INDENT + 4;
            let _ = write!(s, r#"<path class="edge" d="M{px} {} V{ny} H{}"/>"#, y(parent) + 5, nx - 2);
        }
        let label = shortened(file_name(n.image), LABEL_CHARS);
        let note = n.note.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
        let _ = write!(
            s,
            r#"<text class="proc" x="{nx}" y="{}"><title>{}</title>{}{}</text>"#,
            ny + 4,
            Escaped(n.image),
            Escaped(&label),
            Escaped(&note)
        );
    }
    let mut marks_on_row = vec![0usize; nodes.len()];
    for m in marks {
        let (mx, my) = (x(m.time), y(m.row));
        let label = shortened(&m.label, 28);
        let title = format!("{} at {}", m.label, fmt_time(&m.time));
        // The first mark of a row is labelled above it, a second below, so two marks of one
        // process close in time stay readable; labels near an edge grow inwards.
        let seen = &mut marks_on_row[m.row];
        let ly = if seen.is_multiple_of(2) { my - 9 } else { my + 17 };
        *seen += 1;
        let anchor = match mx - TREE_WIDTH {
            dx if dx < PLOT_WIDTH / 4 => "start",
            dx if dx > PLOT_WIDTH * 3 / 4 => "end",
            _ => "middle",
        };
        let _ = write!(
            s,
            r#"<g class="mark {}"><title>{}</title><line class="drop" x1="{mx}" y1="{my}" x2="{mx}" y2="{axis_y}"/><circle cx="{mx}" cy="{my}" r="6"/><text x="{mx}" y="{ly}" text-anchor="{anchor}">{}</text></g>"#,
            m.class,
            Escaped(&title),
            Escaped(&label)
        );
    }
    let _ =
        write!(s, r#"<line class="axis" x1="{}" y1="{axis_y}" x2="{}" y2="{axis_y}"/>"#, TREE_WIDTH + 20, width - 20);
    for k in 0..=4 {
        let tx = TREE_WIDTH + 20 + k * (PLOT_WIDTH - 40) / 4;
        let offset = span_ms * k / 4;
        let _ = write!(
            s,
            r#"<line class="tick" x1="{tx}" y1="{axis_y}" x2="{tx}" y2="{}"/><text class="tick" x="{tx}" y="{}" text-anchor="{}">+{}.{:01}s</text>"#,
            axis_y + 5,
            axis_y + 18,
            if k == 4 { "end" } else { "middle" },
            offset / 1000,
            offset % 1000 / 100
        );
    }
    let _ = write!(s, r#"<text class="t0" x="{}" y="{}">t0 = {}</text>"#, TREE_WIDTH + 20, axis_y + 34, fmt_time(&t0));
    s.push_str("</svg>");
    s
}
