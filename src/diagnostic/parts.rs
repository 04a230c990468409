//! Work over many independent items (a config's namespaces) in contiguous parts, on the
//! machine's cores, each part with diagnostics of its own that are put back in the order of
//! the parts: the results and the diagnostics are those of one pass in order, whatever the
//! number of threads.

use super::Diagnostics;

/// Fewest items (namespaces) worth a thread of their own: a thread costs tens of
/// microseconds, about what a hundred namespaces take to resolve or build.
pub const MIN_PART: usize = 128;

/// The threads worth using: one a core, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// `work` over `items` in contiguous parts of at least `min_part` items (a thread costs tens
/// of microseconds: fewer items run here, in one part). The first part runs on this thread,
/// into `diags`; the others on threads of their own, their diagnostics added after it in order.
pub fn in_parts<T: Sync, R: Send>(
    items: &[T],
    min_part: usize,
    diags: &mut Diagnostics,
    work: impl Fn(&[T], &mut Diagnostics) -> Vec<R> + Sync,
) -> Vec<R> {
    in_parts_on(items, min_part, threads(), diags, work)
}

/// [`in_parts`] on at most `threads` threads.
pub fn in_parts_on<T: Sync, R: Send>(
    items: &[T],
    min_part: usize,
    threads: usize,
    diags: &mut Diagnostics,
    work: impl Fn(&[T], &mut Diagnostics) -> Vec<R> + Sync,
) -> Vec<R> {
    let part = items.len().div_ceil(threads.max(1)).max(min_part.max(1));
    if items.len() <= part {
        return work(items, diags);
    }
    let mut chunks = items.chunks(part);
    let first = chunks.next().unwrap_or(&[]);
    let work = &work;
    let (mut out, rest) = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .map(|chunk| {
                scope.spawn(move || {
                    let mut part_diags = Diagnostics::new();
                    (work(chunk, &mut part_diags), part_diags)
                })
            })
            .collect();
        let out = work(first, diags);
        let rest: Vec<(Vec<R>, Diagnostics)> = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect();
        (out, rest)
    });
    for (results, part_diags) in rest {
        out.extend(results);
        diags.extend(part_diags);
    }
    out
}

/// `first` (whose diagnostics come first) and `second` at once, `first` on a thread of its
/// own when `parallel` says the work is worth one; else one after the other, here.
pub fn side_by_side<A: Send, B>(
    parallel: bool,
    diags: &mut Diagnostics,
    first: impl FnOnce(&mut Diagnostics) -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    if !parallel || threads() < 2 {
        let a = first(diags);
        return (a, second());
    }
    let (a, first_diags, b) = std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let mut first_diags = Diagnostics::new();
            (first(&mut first_diags), first_diags)
        });
        let b = second();
        let (a, first_diags) = worker.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (a, first_diags, b)
    });
    diags.extend(first_diags);
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Diagnostic};

    /// Each item's diagnostic and result come back in the items' order, for every part size
    /// and thread count (one part here, or one a thread, whatever cores this machine has),
    /// and a problem found twice is kept once.
    #[test]
    fn parts_keep_the_order_of_one_pass() {
        let items: Vec<u32> = (0..1000).map(|i| i % 700).collect();
        let work = |part: &[u32], diags: &mut Diagnostics| {
            part.iter()
                .map(|&i| {
                    diags.push(Diagnostic::new(Code::TypeMismatch, format!("item {i}")));
                    i * 2
                })
                .collect()
        };
        let mut expected = Diagnostics::new();
        let one_pass: Vec<u32> = work(&items, &mut expected);
        assert_eq!(expected.items.len(), 700);
        for threads in [1, 2, 3, 8] {
            for min_part in [1, 7, 300, 1000, 5000] {
                let mut diags = Diagnostics::new();
                assert_eq!(in_parts_on(&items, min_part, threads, &mut diags, work), one_pass);
                let at = format!("parts of at least {min_part} on {threads} threads");
                assert_eq!(diags.items, expected.items, "{at}");
            }
        }
    }

    /// `first`'s diagnostics come before those pushed after both, run together or not.
    #[test]
    fn side_by_side_adds_first_diagnostics_in_place() {
        for parallel in [false, true] {
            let mut diags = Diagnostics::new();
            diags.push(Diagnostic::new(Code::TypeMismatch, "before"));
            let (a, b) = side_by_side(
                parallel,
                &mut diags,
                |d| {
                    d.push(Diagnostic::new(Code::TypeMismatch, "before"));
                    d.push(Diagnostic::new(Code::TypeMismatch, "first"));
                    1
                },
                || 2,
            );
            diags.push(Diagnostic::new(Code::TypeMismatch, "after"));
            let messages: Vec<&str> = diags.items.iter().map(|d| d.message.as_str()).collect();
            assert_eq!((a, b, messages), (1, 2, vec!["before", "first", "after"]));
        }
    }
}
