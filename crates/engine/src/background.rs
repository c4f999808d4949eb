//! Background work gives way to the reviewer. The assessment queue (capture quality,
//! diagnosis models, OCR and coding) would otherwise take both cores of a small
//! workstation from the decode and paint of the item on screen.

/// Moves the calling thread, and every thread it starts from then on (ONNX Runtime's
/// pool among them), to Linux's idle scheduling class: it runs only on a core nothing
/// else wants. Elsewhere it does nothing.
#[allow(unsafe_code)]
pub fn yield_to_reviewer() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread; `param` is read during the call only, and
        // SCHED_IDLE with priority 0 is allowed to any thread, privileged or not.
        let result = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
        if result != 0 {
            tracing::warn!(
                "background work keeps its normal priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Gives each large buffer (a decoded frame, a model's tensors) a mapping of its own,
/// unmapped when it is freed. glibc's default raises that threshold after each large
/// free, up to 32 MB, so later frames were carved from its per-thread arenas and their
/// pages stayed resident: at idle, heaptrack found 18 MB live of 600 MB resident.
/// Call once at start. Elsewhere it does nothing.
#[allow(unsafe_code)]
pub fn map_large_buffers_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the threshold for allocations made after the call.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Hands the heap's freed pages back to the system (glibc keeps them otherwise), after
/// the models close. Elsewhere it does nothing.
#[allow(unsafe_code)]
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps and
    // arenas; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
