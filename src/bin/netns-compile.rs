//! The `netns-compile` command: a thin shell over [`netns_compile::cli`].

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::Mimalloc = mimalloc::Mimalloc;

fn main() {
    #[cfg(feature = "mimalloc")]
    mimalloc::return_what_finished_threads_free();
    let code = netns_compile::cli::run(std::env::args().collect());
    std::process::exit(code);
}

/// The compiler allocates many small, short-lived values (definition trees, strings):
/// mimalloc serves them several times faster than glibc's allocator. Its v2 without
/// transparent huge pages (Cargo.toml) keeps the peak memory at glibc's.
#[cfg(feature = "mimalloc")]
mod mimalloc {
    use libmimalloc_sys::{
        mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc, mi_zalloc_aligned,
    };
    use std::alloc::{GlobalAlloc, Layout};
    use std::ffi::c_void;

    /// Every mimalloc block is aligned to a machine word: layouts that ask no more take the
    /// plain (faster) entry points.
    const WORD: usize = std::mem::size_of::<usize>();

    pub struct Mimalloc;

    // mimalloc's own entry point (the crate binds it only with a feature that needs another
    // crate): `void mi_option_set(mi_option_t option, long value)`.
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }

    /// `mi_option_abandoned_page_purge` of the mimalloc v2 that Cargo.lock pins (`mimalloc.h`).
    const ABANDONED_PAGE_PURGE: std::ffi::c_int = 12;

    /// The evaluation and the parts of a large config run on threads that end before the
    /// later stages: without this, the pages they freed stay resident (mimalloc purges them
    /// only after a delay, never once their thread is gone), which put `check` of 10,000
    /// namespaces at 107 MB instead of 85 MB.
    pub fn return_what_finished_threads_free() {
        // SAFETY: sets an option before any thread but this one exists.
        unsafe { mi_option_set(ABANDONED_PAGE_PURGE, 1) }
    }

    // SAFETY: the functions are mimalloc's malloc family, given the layout's size and, when it
    // exceeds what every block has, its alignment; `mi_free` takes blocks of either kind.
    unsafe impl GlobalAlloc for Mimalloc {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe {
                if layout.align() <= WORD {
                    mi_malloc(layout.size()) as *mut u8
                } else {
                    mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
                }
            }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            unsafe {
                if layout.align() <= WORD {
                    mi_zalloc(layout.size()) as *mut u8
                } else {
                    mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
                }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            unsafe { mi_free(ptr as *mut c_void) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe {
                if layout.align() <= WORD {
                    mi_realloc(ptr as *mut c_void, new_size) as *mut u8
                } else {
                    mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
                }
            }
        }
    }
}
