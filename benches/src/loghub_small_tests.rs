//! Tests on small hand-written samples: exact behaviour and every load error.

use std::path::Path;

use super::super::*;

const RAW: &str = "2020-01-02 10:00:00 INFO [main] started worker 17\r\n\
                   2020-01-02 10:00:05 WARN [pool-1] queue full: 250 items\r\n";
const STRUCTURED: &str = "LineId,Date,Time,Level,Component,Content,EventId,EventTemplate\n\
                          1,2020-01-02,10:00:00,INFO,main,started worker 17,E1,started worker <*>\n\
                          2,2020-01-02,10:00:05,WARN,pool-1,queue full: 250 items,E2,queue full: <*> items\n";
const TEMPLATES: &str =
    "EventId,EventTemplate\nE1,started worker <*>\nE2,queue full: <*> items\nE3,unused <*>\n";

/// Writes system `name` under `dir` from the three file texts.
fn write_system(dir: &Path, name: &str, raw: &str, structured: &str, templates: &str) {
    let system = dir.join(name);
    std::fs::create_dir_all(&system).unwrap();
    std::fs::write(system.join(format!("{name}_2k.log")), raw).unwrap();
    std::fs::write(
        system.join(format!("{name}_2k.log_structured.csv")),
        structured,
    )
    .unwrap();
    std::fs::write(
        system.join(format!("{name}_2k.log_templates.csv")),
        templates,
    )
    .unwrap();
}

fn tiny(raw: &str, structured: &str, templates: &str) -> (tempfile::TempDir, Result<Synthesizer>) {
    let dir = tempfile::tempdir().unwrap();
    write_system(dir.path(), "Tiny", raw, structured, templates);
    let synth = Synthesizer::new(dir.path(), 1);
    (dir, synth)
}

fn lines(synth: &mut Synthesizer, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| String::from_utf8(synth.next_line("Tiny").unwrap()).unwrap())
        .collect()
}

#[test]
fn lines_keep_header_and_template_together_and_time_moves_on() {
    let (_dir, synth) = tiny(RAW, STRUCTURED, TEMPLATES);
    let mut synth = synth.unwrap();
    assert_eq!(
        synth
            .model(synth.system_id("Tiny").unwrap())
            .unwrap()
            .templates
            .len(),
        2
    );
    let lines = lines(&mut synth, 200);
    let (mut started, mut full) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        // The sample's only gap is 5 s.
        let seconds = 5 * i;
        let time = format!(
            "2020-01-02 {:02}:{:02}:{:02} ",
            10 + seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
        let rest = line
            .strip_prefix(&time)
            .unwrap_or_else(|| panic!("{line:?} at {time:?}"));
        if let Some(worker) = rest.strip_prefix("INFO [main] started worker 1") {
            // The only value seen once is always fresh: its last digit is redrawn.
            assert!(
                worker.len() == 1 && worker.bytes().all(|b| b.is_ascii_digit()),
                "{line}"
            );
            started += 1;
        } else if let Some(count) = rest.strip_prefix("WARN [pool-1] queue full: 2") {
            assert_eq!(count.len(), " items".len() + 2, "{line}");
            full += 1;
        } else {
            panic!("unexpected line {line:?}");
        }
    }
    assert!(started > 50 && full > 50, "{started} / {full}");
}

#[test]
fn unaligned_content_and_unshaped_lines_are_kept_as_they_are() {
    let raw = "2020-01-02 10:00:00 INFO [main] started worker 17\n\
               garbage line that holds no field\n";
    let structured = "LineId,Date,Time,Level,Component,Content,EventId,EventTemplate\n\
                      1,2020-01-02,10:00:00,INFO,main,started worker 17,E1,stopped worker <*>\n\
                      2,2020-01-02,10:00:05,WARN,pool-1,queue full: 250 items,E2,queue full: <*> items\n";
    let templates = "EventId,EventTemplate\nE1,stopped worker <*>\nE2,queue full: <*> items\n";
    let (_dir, synth) = tiny(raw, structured, templates);
    let mut synth = synth.unwrap();
    let lines = lines(&mut synth, 50);
    let literal = lines
        .iter()
        .filter(|l| l.ends_with(" INFO [main] started worker 17"))
        .count();
    let raw_kept = lines
        .iter()
        .filter(|l| *l == "garbage line that holds no field")
        .count();
    assert_eq!(literal + raw_kept, 50, "{lines:?}");
    assert!(literal > 10 && raw_kept > 10);
}

#[test]
fn syslog_day_padding_is_kept() {
    let raw = "Jul  9 23:59:59 host cron[1]: tick 1\nJul 10 00:00:00 host cron[1]: tick 2\n";
    let structured = "LineId,Month,Date,Time,Host,Component,PID,Content,EventId,EventTemplate\n\
                      1,Jul,9,23:59:59,host,cron,1,tick 1,E1,tick <*>\n\
                      2,Jul,10,00:00:00,host,cron,1,tick 2,E1,tick <*>\n";
    let (_dir, synth) = tiny(raw, structured, "EventId,EventTemplate\nE1,tick <*>\n");
    let lines = lines(&mut synth.unwrap(), 3);
    assert!(
        lines[0].starts_with("Jul  9 23:59:59 host cron[1]: tick "),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("Jul 10 00:00:00 host cron[1]: tick "),
        "{lines:?}"
    );
}

#[test]
fn rows_must_match_the_templates_file() {
    let no_e2 = "EventId,EventTemplate\nE1,started worker <*>\n";
    let (_dir, err) = tiny(RAW, STRUCTURED, no_e2);
    assert!(
        matches!(err, Err(LoghubError::UnknownEvent { line: 3, ref event_id, .. }) if event_id == "E2")
    );
    let mismatch = STRUCTURED.replace(",E2,queue full: <*> items", ",E2,queue empty: <*> items");
    let (_dir, err) = tiny(RAW, &mismatch, TEMPLATES);
    assert!(matches!(
        err,
        Err(LoghubError::TemplateMismatch { line: 3, .. })
    ));
}

#[test]
fn raw_lines_must_match_the_rows() {
    let (_dir, err) = tiny("only one line\n", STRUCTURED, TEMPLATES);
    assert!(matches!(
        err,
        Err(LoghubError::LineCountMismatch {
            raw_lines: 1,
            rows: 2,
            ..
        })
    ));
}

#[test]
fn time_values_must_be_in_a_known_layout() {
    let bad_time = STRUCTURED.replace("10:00:05", "soon");
    let (_dir, err) = tiny(RAW, &bad_time, TEMPLATES);
    let Err(LoghubError::UnsupportedTimeFormat {
        line,
        column,
        value,
        ..
    }) = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((line, column.as_str(), value.as_str()), (3, "Time", "soon"));
}

#[test]
fn csv_files_must_be_well_formed_and_complete() {
    let (_dir, err) = tiny(RAW, &STRUCTURED.replace("Content", "Message"), TEMPLATES);
    assert!(matches!(
        err,
        Err(LoghubError::MissingColumn {
            column: "Content",
            ..
        })
    ));

    let unterminated = "LineId,Content,EventId,EventTemplate\n1,\"open,E1,x\n";
    let (_dir, err) = tiny(RAW, unterminated, TEMPLATES);
    // Found at the end of the file, line 3; opened on line 2.
    let Err(LoghubError::Csv {
        path,
        line: 3,
        problem,
    }) = err
    else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("Tiny_2k.log_structured.csv"));
    assert_eq!(problem, CsvProblem::UnterminatedQuote { opened: 2 });

    let (_dir, err) = tiny(RAW, "LineId,Content,EventId,EventTemplate\n", TEMPLATES);
    assert!(matches!(err, Err(LoghubError::EmptySample { .. })));
}

#[test]
fn the_directory_must_hold_systems() {
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Synthesizer::new(empty.path(), 1),
        Err(LoghubError::NoSystems { .. })
    ));
    let missing = empty.path().join("missing");
    assert!(matches!(
        Synthesizer::new(&missing, 1),
        Err(LoghubError::Io { .. })
    ));
}

#[test]
fn errors_read_well() {
    let (_dir, err) = tiny(RAW, &STRUCTURED.replace("10:00:05", "soon"), TEMPLATES);
    let text = err.unwrap_err().to_string();
    assert!(
        text.ends_with(
            "Tiny_2k.log_structured.csv:3: column `Time`: `soon` is in no supported time layout"
        ),
        "{text}"
    );
}
