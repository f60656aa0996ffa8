#if canImport(Glibc)
import Glibc
#endif

/// How the command's process gets back the memory of large buffers.
enum LargeBuffers {
    /// A backup allocates and frees a buffer of up to 4 MiB for every chunk
    /// it reads, compresses and seals. glibc raises its mmap threshold each
    /// time such a buffer is freed, so later ones come from its heaps, which
    /// keep what was freed: a snapshot of a 650 MB folder peaked at 274–287 MB
    /// that way, and at 138–153 MB with buffers of 1 MiB and more mapped and
    /// unmapped each time, for some 15% more time (fresh pages are zeroed).
    /// Only `tandem snapshot create` asks for it: the library leaves an app's
    /// allocator alone.
    static func returnedWhenFreed() {
        #if canImport(Glibc)
        // glibc's mallopt, found at run time: the Glibc module leaves malloc.h out.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in malloc.h
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 1 << 20)
        #endif
    }
}
