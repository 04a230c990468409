//! A stable merge sort whose comparison may fail: Nix's `builtins.sort` is `std::stable_sort`,
//! and nixpkgs' `sortProperties` sorts with it, so the evaluator and the module system's
//! property rules sort with this one.

/// `items` sorted stably by `less`; the first failing comparison is the result.
pub fn stable_sort<T, E>(items: Vec<T>, less: &dyn Fn(&T, &T) -> Result<bool, E>) -> Result<Vec<T>, E> {
    let mut runs: Vec<Vec<T>> = items.into_iter().map(|x| vec![x]).collect();
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        let mut iter = runs.into_iter();
        while let Some(left) = iter.next() {
            match iter.next() {
                Some(right) => next.push(merge(left, right, less)?),
                None => next.push(left),
            }
        }
        runs = next;
    }
    Ok(runs.pop().unwrap_or_default())
}

fn merge<T, E>(left: Vec<T>, right: Vec<T>, less: &dyn Fn(&T, &T) -> Result<bool, E>) -> Result<Vec<T>, E> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(x), Some(y)) = (l.peek(), r.peek()) {
        // Take from the right only when it is strictly smaller: equal items keep their order.
        if less(y, x)? {
            out.extend(r.next());
        } else {
            out.extend(l.next());
        }
    }
    out.extend(l);
    out.extend(r);
    Ok(out)
}
