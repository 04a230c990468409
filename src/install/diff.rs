//! A small unified diff (the format of `diff -u`), for `install --dry-run`'s changed units.
//!
//! Units and scripts are short, so a longest-common-subsequence table over the lines between
//! the common head and tail is cheap; past [`MAX_TABLE_CELLS`] the middle is shown as removed
//! and added whole, which is still a correct (if longer) diff.

/// Largest LCS table built (lines × lines); a 4,000-line ruleset changed all over stays under.
const MAX_TABLE_CELLS: usize = 16 << 20;
/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Keep,
    Remove,
    Add,
}

/// `diff -u` of two texts, with `old_name`/`new_name` in the `---`/`+++` lines; empty when the
/// texts are equal.
pub fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = (lines(old), lines(new));
    let ops = edit_script(&a, &b);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    for hunk in hunks(&ops) {
        write_hunk(&mut out, &ops[hunk.clone()], &a, &b, position(&ops, hunk.start));
    }
    out
}

/// Lines with their `\n` (the last may lack it).
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Where op `i` starts in the old and the new text (0-based line numbers).
fn position(ops: &[(Op, usize, usize)], i: usize) -> (usize, usize) {
    let (_, a, b) = ops[i];
    (a, b)
}

/// The edit script: each op with the old and new line index it stands at.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<(Op, usize, usize)> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<Op> = vec![Op::Keep; head];
    ops.extend(middle_ops(ma, mb));
    ops.extend(std::iter::repeat_n(Op::Keep, tail));
    let (mut i, mut j) = (0, 0);
    ops.into_iter()
        .map(|op| {
            let at = (op, i, j);
            match op {
                Op::Keep => (i, j) = (i + 1, j + 1),
                Op::Remove => i += 1,
                Op::Add => j += 1,
            }
            at
        })
        .collect()
}

fn middle_ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    if n * m > MAX_TABLE_CELLS || n == 0 || m == 0 {
        let mut ops = vec![Op::Remove; n];
        ops.extend(std::iter::repeat_n(Op::Add, m));
        return ops;
    }
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::with_capacity(n + m));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Keep);
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j]) {
            // Removals before additions, as `diff -u` prints them.
            if i < n && lcs[(i + 1) * width + j] == lcs[i * width + j + 1] {
                ops.push(Op::Remove);
                i += 1;
            } else {
                ops.push(Op::Add);
                j += 1;
            }
        } else {
            ops.push(Op::Remove);
            i += 1;
        }
    }
    ops
}

/// Ranges of ops that make one hunk: the changes with [`CONTEXT`] kept lines around them,
/// merged when their contexts touch.
fn hunks(ops: &[(Op, usize, usize)]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, (op, _, _)) in ops.iter().enumerate() {
        if *op == Op::Keep {
            continue;
        }
        let start = k.saturating_sub(CONTEXT);
        let end = (k + 1 + CONTEXT).min(ops.len());
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = end,
            _ => out.push(start..end),
        }
    }
    out
}

fn write_hunk(out: &mut String, ops: &[(Op, usize, usize)], a: &[&str], b: &[&str], at: (usize, usize)) {
    let old_len = ops.iter().filter(|o| o.0 != Op::Add).count();
    let new_len = ops.iter().filter(|o| o.0 != Op::Remove).count();
    // `diff -u` numbers an empty side by the line before it.
    let start = |pos: usize, len: usize| if len == 0 { pos } else { pos + 1 };
    // … and leaves out a length of 1.
    let range = |pos: usize, len: usize| match len {
        1 => format!("{}", start(pos, len)),
        _ => format!("{},{len}", start(pos, len)),
    };
    out.push_str(&format!("@@ -{} +{} @@\n", range(at.0, old_len), range(at.1, new_len)));
    for &(op, i, j) in ops {
        let (mark, line) = match op {
            Op::Keep => (' ', a[i]),
            Op::Remove => ('-', a[i]),
            Op::Add => ('+', b[j]),
        };
        out.push(mark);
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_give_nothing() {
        assert_eq!(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
    }

    #[test]
    fn one_changed_line_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified_diff(old, new, "a/u", "b/u"),
            "--- a/u\n+++ b/u\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn separate_hunks_and_edges() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replacen("2\n", "two\n", 1).replacen("19\n", "", 1) + "21";
        let d = unified_diff(&old, &new, "a", "b");
        assert_eq!(
            d,
            "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n\
             @@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n 20\n+21\n\\ No newline at end of file\n"
        );
    }

    /// Texts from a few lines of a small alphabet, so that they share and differ a lot.
    fn texts(seed: &mut u64, lines: usize) -> String {
        (0..lines)
            .map(|_| {
                *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                format!("{}\n", ["a", "b", "c", "d", "ExecStart=x"][(*seed >> 33) as usize % 5])
            })
            .collect()
    }

    /// GNU `patch` is the judge: each diff, applied to the old text, gives the new one.
    #[test]
    fn patch_applies_every_diff() {
        if std::process::Command::new("patch").arg("--version").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "patch is missing");
            eprintln!("SKIPPED: patch_applies_every_diff (no `patch` on PATH)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut seed = 7;
        for case in 0..200 {
            let old = texts(&mut seed, case % 23);
            let new = texts(&mut seed, (case * 7) % 19);
            let file = dir.path().join("f");
            std::fs::write(&file, &old).unwrap();
            let d = unified_diff(&old, &new, "a/f", "b/f");
            if old == new {
                assert_eq!(d, "");
                continue;
            }
            let mut child = std::process::Command::new("patch")
                .args(["-s", "-p1", "--no-backup-if-mismatch", "-d"])
                .arg(dir.path())
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(d.as_bytes()).unwrap();
            assert!(child.wait().unwrap().success(), "case {case}:\n{d}");
            // `patch` removes a file that becomes empty.
            let got = std::fs::read_to_string(&file).unwrap_or_default();
            assert_eq!(got, new, "case {case}:\n{d}");
        }
    }

    #[test]
    fn from_and_to_nothing() {
        assert_eq!(unified_diff("", "a\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n");
        assert_eq!(unified_diff("a\n", "", "x", "y"), "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n");
    }
}
