//! Tests of the loghub synthesizer: on the real samples (realism, volume, determinism) and on
//! small hand-written samples (exact behaviour, errors).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::corpus::{self, RowContent, RowLayout, SampleRow, SystemModel};
use super::*;

const INPUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/logs/loghub");

/// The 16 real systems, loaded once for all tests.
fn models() -> &'static [SystemModel] {
    static MODELS: OnceLock<Vec<SystemModel>> = OnceLock::new();
    MODELS.get_or_init(|| corpus::load_dir(Path::new(INPUT)).unwrap())
}

fn synth(seed: u64) -> Synthesizer {
    Synthesizer::from_models(models().to_vec(), seed)
}

/// `count` lines of system `id` from `synth`, each with the index of its sample row.
fn lines_with_rows(synth: &mut Synthesizer, id: SystemId, count: usize) -> Vec<(String, usize)> {
    (0..count)
        .map(|_| {
            let mut line = Vec::new();
            let info = synth.write_line(id, &mut line).unwrap();
            assert_eq!(
                info.template,
                synth.model(id).unwrap().rows[info.row].template
            );
            (String::from_utf8(line).unwrap(), info.row)
        })
        .collect()
}

/// The sample's raw file with LF line ends (synthesized lines end in LF; most samples use CRLF,
/// which would add a byte per line that compresses to nearly nothing).
fn real_text(system: &str) -> Vec<u8> {
    let path = PathBuf::from(INPUT)
        .join(system)
        .join(format!("{system}_2k.log"));
    let mut text = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.into_bytes()
}

/// Synthesized text of about `bytes` bytes for system `id`, lines ending in LF.
fn synthesized_text(synth: &mut Synthesizer, id: SystemId, bytes: u64) -> Vec<u8> {
    let mut lines = synth.budgeted(id, bytes);
    let mut text = Vec::new();
    while lines.next_into(&mut text).is_some() {
        text.push(b'\n');
    }
    text
}

fn zstd3_ratio(text: &[u8]) -> f64 {
    text.len() as f64 / zstd::bulk::compress(text, 3).unwrap().len() as f64
}

fn error_share(text: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().collect();
    let errors = lines
        .iter()
        .filter(|l| l.to_ascii_lowercase().contains("error"))
        .count();
    errors as f64 / lines.len() as f64
}

#[test]
fn loads_every_system_with_few_literal_rows() {
    let models = models();
    assert_eq!(models.len(), 16);
    for model in models {
        let literal = model
            .rows
            .iter()
            .filter(|r| matches!(r.content, RowContent::Literal(_)))
            .count();
        let raw = model
            .rows
            .iter()
            .filter(|r| matches!(r.layout, RowLayout::Raw(_)))
            .count();
        let times: Vec<&str> = model
            .fields
            .iter()
            .filter_map(|f| f.time.map(|t| t.layout.name))
            .collect();
        eprintln!(
            "{:12} templates {:3} shapes {:4} literal {literal:3} raw {raw:3} time {times:?}",
            model.name,
            model.templates.len(),
            model.shapes.len()
        );
        assert_eq!(model.rows.len(), 2000, "{}", model.name);
        assert!(literal <= 40, "{}: {literal} rows do not align", model.name);
        assert_eq!(raw, 0, "{}: raw lines without a shape", model.name);
        assert!(!times.is_empty(), "{}: no time column", model.name);
    }
}

/// A sample row written back from its model: shape, header values, time columns rendered from
/// the row's instant (Unix columns shifted by `unix_shift_s`), content from its parameters.
fn rebuild(model: &SystemModel, row: &SampleRow, unix_shift_s: i64) -> Option<String> {
    let RowLayout::Shape(id) = row.layout else {
        return None;
    };
    let separators = &model.shapes[id];
    let mut out = Vec::new();
    for (i, (field, value)) in model.fields.iter().zip(&row.header).enumerate() {
        out.extend_from_slice(separators[i].as_bytes());
        match field.time {
            Some(t) => t
                .layout
                .render(row.instant_ns, t.unix_offset_s + unix_shift_s, &mut out),
            None => out.extend_from_slice(value.as_bytes()),
        }
    }
    out.extend_from_slice(separators[model.fields.len()].as_bytes());
    match &row.content {
        RowContent::Literal(text) => out.extend_from_slice(text.as_bytes()),
        RowContent::Params(params) => {
            let pieces = model.templates[row.template].template.pieces();
            out.extend_from_slice(pieces[0].as_bytes());
            for (param, piece) in params.iter().zip(&pieces[1..]) {
                out.extend_from_slice(param.as_bytes());
                out.extend_from_slice(piece.as_bytes());
            }
        }
    }
    out.extend_from_slice(separators[model.fields.len() + 1].as_bytes());
    Some(String::from_utf8(out).unwrap())
}

#[test]
fn shapes_layouts_and_parameters_rebuild_the_sample() {
    for model in models() {
        let text = String::from_utf8(real_text(&model.name)).unwrap();
        let mut exact = 0;
        for (index, (row, raw)) in model.rows.iter().zip(text.lines()).enumerate() {
            // Unix columns follow the zone's daylight saving time (BGL spans June to January).
            let rebuilt = [0, 3600, -3600]
                .iter()
                .any(|&shift| rebuild(model, row, shift).as_deref() == Some(raw));
            exact += usize::from(rebuilt || matches!(row.layout, RowLayout::Raw(_)));
            if !rebuilt && matches!(row.layout, RowLayout::Shape(_)) {
                eprintln!(
                    "{} row {index}: {raw:?}\n  != {:?}",
                    model.name,
                    rebuild(model, row, 0)
                );
            }
        }
        assert_eq!(exact, 2000, "{}: rows not rebuilt exactly", model.name);
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = synth(7).generate(500_000);
    assert_eq!(a, synth(7).generate(500_000));
    let b = synth(8).generate(500_000);
    for (x, y) in a.iter().zip(&b) {
        assert_ne!(x.lines, y.lines, "{}", x.system);
    }
}

#[test]
fn a_system_does_not_depend_on_the_others() {
    let mut alone = synth(3);
    let hdfs = alone.system_id("HDFS").unwrap();
    let first = alone.next_line("HDFS").unwrap();
    let mut busy = synth(3);
    for _ in 0..100 {
        busy.next_line("Apache").unwrap();
    }
    assert_eq!(busy.next_line("HDFS").unwrap(), first);
    assert_eq!(busy.system_name(hdfs), Some("HDFS"));
    assert!(
        matches!(busy.next_line("Nope"), Err(LoghubError::UnknownSystem(name)) if name == "Nope")
    );
}

#[test]
fn volume_is_split_by_sample_size_and_met_within_one_percent() {
    for total in [1_000_000u64, 2_500_000] {
        let mut s = synth(11);
        let budgets = s.byte_budgets(total);
        assert_eq!(budgets.iter().map(|b| b.1).sum::<u64>(), total);
        let streams = s.generate(total);
        assert_eq!(streams.len(), 16);
        let mut sum = 0;
        for ((id, budget), stream) in budgets.iter().zip(&streams) {
            assert_eq!(s.system_name(*id), Some(stream.system.as_str()));
            assert!(!stream.lines.is_empty(), "{} made no lines", stream.system);
            let longest = stream
                .lines
                .iter()
                .map(|(_, l)| l.len() as u64 + 1)
                .max()
                .unwrap();
            let got = stream.lines.volume_bytes();
            assert!(
                got.abs_diff(*budget) <= longest / 2 + 1,
                "{}: {got} for {budget}",
                stream.system
            );
            sum += got;
        }
        assert!(
            sum.abs_diff(total) * 100 <= total,
            "{sum} bytes for {total}"
        );
    }
}

#[test]
fn timestamps_start_at_the_epoch_and_increase() {
    for stream in synth(5).generate(400_000) {
        let ts = stream.lines.timestamps_ns();
        assert_eq!(ts.first(), Some(&EPOCH_NS), "{}", stream.system);
        assert!(ts.windows(2).all(|w| w[0] < w[1]), "{}", stream.system);
    }
}

#[test]
fn dump_writes_the_generated_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let files = synth(9).dump(300_000, dir.path()).unwrap();
    let streams = synth(9).generate(300_000);
    assert_eq!(files.len(), streams.len());
    for (file, stream) in files.iter().zip(&streams) {
        assert_eq!(file.path, dir.path().join(format!("{}.log", stream.system)));
        let mut expected = Vec::new();
        for (_, line) in stream.lines.iter() {
            expected.extend_from_slice(line);
            expected.push(b'\n');
        }
        assert_eq!(
            std::fs::read(&file.path).unwrap(),
            expected,
            "{}",
            file.system
        );
        assert_eq!(
            (file.lines, file.bytes),
            (stream.lines.len() as u64, expected.len() as u64)
        );
    }
}

#[test]
fn most_templates_appear_in_ten_thousand_lines() {
    let mut s = synth(21);
    let ids: Vec<SystemId> = s.systems().map(|(id, _)| id).collect();
    for id in ids {
        let lines = lines_with_rows(&mut s, id, 10_000);
        let model = s.model(id).unwrap();
        let seen: HashSet<usize> = lines
            .iter()
            .map(|(_, row)| model.rows[*row].template)
            .collect();
        let coverage = seen.len() as f64 / model.templates.len() as f64;
        assert!(
            coverage >= 0.9,
            "{}: {:.0}% of templates",
            model.name,
            coverage * 100.0
        );
        // Every line made from an aligned row carries its template's text in order.
        for (line, row) in &lines {
            let row = &model.rows[*row];
            if matches!(row.content, RowContent::Params(_)) {
                let template = &model.templates[row.template].template;
                assert!(
                    template.occurs_in(line),
                    "{}: {line:?} is not from {template:?}",
                    model.name
                );
            }
        }
    }
}

#[test]
fn compression_ratio_is_within_a_quarter_of_the_sample() {
    let mut s = synth(33);
    let mut off = Vec::new();
    let ids: Vec<(SystemId, String)> = s.systems().map(|(id, n)| (id, n.to_owned())).collect();
    for (id, name) in ids {
        let real = real_text(&name);
        let synthesized = synthesized_text(&mut s, id, real.len() as u64);
        let (want, got) = (zstd3_ratio(&real), zstd3_ratio(&synthesized));
        eprintln!("{name:12} zstd -3 ratio: sample {want:5.2} synthesized {got:5.2}");
        if (got / want - 1.0).abs() > 0.25 {
            off.push(format!("{name}: {got:.2} vs {want:.2}"));
        }
    }
    assert!(off.is_empty(), "ratios off by more than 25%: {off:?}");
}

#[test]
fn error_lines_are_as_common_as_in_the_sample() {
    let mut s = synth(44);
    let mut off = Vec::new();
    let ids: Vec<(SystemId, String)> = s.systems().map(|(id, n)| (id, n.to_owned())).collect();
    for (id, name) in ids {
        let want = error_share(&real_text(&name));
        // Enough lines that a rare share (1 in 2000) is seen about 40 times.
        let lines = (40.0 / want.max(1e-9)).clamp(10_000.0, 80_000.0);
        let got = error_share(&synthesized_text(&mut s, id, (lines * 150.0) as u64));
        eprintln!("{name:12} lines with \"error\": sample {want:.4} synthesized {got:.4}");
        let within = if want == 0.0 {
            got == 0.0
        } else {
            got >= want / 2.0 && got <= want * 2.0
        };
        if !within {
            off.push(format!("{name}: {got:.4} vs {want:.4}"));
        }
    }
    assert!(
        off.is_empty(),
        "shares off by more than a factor 2: {off:?}"
    );
}

#[path = "loghub_small_tests.rs"]
mod small;
