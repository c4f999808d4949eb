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
