//! Linear layers (`y = x · W + b`) with bfloat16 products and float32 sums: the work that takes
//! ~94% of a BERT model's time. Inputs and weights are rounded to bfloat16 (to nearest, ties to
//! even); products are exact and sums float32, which is what PyTorch's bfloat16 autocast does.
//! The vectors stay within 1e-4 cosine of float32's (the parity tests hold both precisions to
//! sentence-transformers' vectors).
//!
//! Three kernels compute the same products: AMX-BF16 (Intel Xeon since Sapphire Rapids:
//! `tdpbf16ps` multiplies 16x32 by 32x16 tiles, 2x float32's speed end to end here), AVX512-BF16
//! (`vdpbf16ps`: twice an FMA's work on AMD Zen 4 and later, no gain on Intel, where it issues
//! on one port), and a portable one (slow; the `bf16` precision gives the same vectors on any
//! CPU, and its tests run everywhere).
//!
//! Layout: the weights are rounded and packed once, when a model loads, into panels of
//! [`NR`] columns in which each pair of rows (k, k+1) of a column is adjacent: one 512-bit load
//! gives 16 columns' pairs, the operand `vdpbf16ps` multiplies with a broadcast pair of inputs,
//! and 16 of them are the rows of an AMX weight tile. Inputs are rounded per call, a block of
//! rows at a time (callers parallelise over blocks).

/// Columns per panel: four 512-bit registers of 16 floats.
const NR: usize = 64;
/// Rows per micro-tile: 6 rows x 4 registers = 24 accumulators of the 32 registers.
const MR: usize = 6;
/// Rows per AMX block: two tiles of 16 rows.
const AMX_ROWS: usize = 32;

/// `x` rounded to bfloat16 (nearest, ties to even; NaN stays NaN).
pub fn to_bf16(x: f32) -> u16 {
    let b = x.to_bits();
    if x.is_nan() {
        return ((b >> 16) | 0x40) as u16;
    }
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

fn from_bf16(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// Whether this CPU has the instructions of a fast kernel (AVX512-BF16; AMX-BF16 CPUs have them too).
pub fn hardware_supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether bfloat16 is faster than ONNX Runtime's float32 here, so the automatic precision
/// takes it: with AMX (Intel Sapphire Rapids and later: 16x16 tiles, many times float32's
/// throughput), or with AVX512-BF16 on AMD (Zen 4 and later: `vdpbf16ps` does twice an FMA's
/// work). Intel's AVX512-BF16 alone does not pay: its `vdpbf16ps` runs on one port where FMAs
/// run on two (measured: 0.65x float32 on a Xeon without using AMX).
pub fn faster_than_fp32() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        hardware_supported() && (amx::available() || !amx::intel())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The fastest kernel this CPU has and this process may use.
pub fn best_kernel() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    if amx::available() {
        return Kernel::Amx;
    }
    if hardware_supported() {
        Kernel::Avx512
    } else {
        Kernel::Portable
    }
}

/// The kernel the ONNX operator packs for: [`best_kernel`], or a slower one that
/// `PGAI_BF16_KERNEL` names (`avx512`, `portable`: to test it on a CPU that has a faster one).
pub fn default_kernel() -> Kernel {
    let asked = match std::env::var("PGAI_BF16_KERNEL").unwrap_or_default().trim().to_ascii_lowercase().as_str() {
        "portable" => Kernel::Portable,
        "avx512" => Kernel::Avx512,
        _ => Kernel::Amx,
    };
    asked.max(best_kernel())
}

/// The kernels, fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kernel {
    /// AMX-BF16 (`tdpbf16ps` on 16x16 tiles of 32-bit sums).
    Amx,
    /// AVX512-BF16 (`vdpbf16ps`).
    Avx512,
    /// Plain Rust: the same rounding, float32 arithmetic.
    Portable,
}

/// A linear layer's weights and bias, rounded and packed for [`PackedLinear::forward`].
pub struct PackedLinear {
    k: usize,
    n: usize,
    kpairs: usize,
    /// [panel][k pair][NR columns][2] bfloat16, zero past k and n.
    panels: Vec<u16>,
    /// n rounded up to whole panels, zero past n.
    bias: Vec<f32>,
    kernel: Kernel,
}

impl PackedLinear {
    /// Packs `w`, [k, n] row-major (an ONNX MatMul's second input), rounded to bfloat16, and
    /// `bias` ([n], or none) for `kernel`, or the next slower one this CPU has (`Amx`,
    /// `Avx512`, `Portable`).
    pub fn with_kernel(w: &[f32], k: usize, n: usize, bias: Option<&[f32]>, kernel: Kernel) -> PackedLinear {
        let w: Vec<u16> = w.iter().map(|&x| to_bf16(x)).collect();
        PackedLinear::rounded(&w, k, n, bias, kernel)
    }

    /// [`PackedLinear::with_kernel`] for weights already rounded to bfloat16 (their bits).
    pub fn rounded(w: &[u16], k: usize, n: usize, bias: Option<&[f32]>, kernel: Kernel) -> PackedLinear {
        assert_eq!(w.len(), k * n, "weights are not [k, n]");
        let kernel = kernel.max(best_kernel());
        // AMX multiplies 16 pairs of k at a time: zeros up to a whole tile
        let kpairs = if kernel == Kernel::Amx { k.div_ceil(32) * 16 } else { k.div_ceil(2) };
        let npanels = n.div_ceil(NR);
        let mut panels = vec![0u16; npanels * kpairs * NR * 2];
        for p in 0..npanels {
            // pairs past k stay zero
            for kp in 0..k.div_ceil(2) {
                let dst = &mut panels[(p * kpairs + kp) * NR * 2..][..NR * 2];
                for j in 0..NR.min(n - p * NR) {
                    let col = p * NR + j;
                    dst[2 * j] = w[2 * kp * n + col];
                    if 2 * kp + 1 < k {
                        dst[2 * j + 1] = w[(2 * kp + 1) * n + col];
                    }
                }
            }
        }
        let mut padded_bias = vec![0f32; npanels * NR];
        if let Some(b) = bias {
            assert_eq!(b.len(), n, "bias is not [n]");
            padded_bias[..n].copy_from_slice(b);
        }
        #[cfg(target_arch = "x86_64")]
        if kernel == Kernel::Amx {
            panels = amx::tile_order(&panels, kpairs);
            // per panel, the bias in each of a tile's 16 rows: the sums start from it
            padded_bias = padded_bias.chunks(NR).flat_map(|b| b.repeat(16)).collect();
        }
        PackedLinear { k, n, kpairs, panels, bias: padded_bias, kernel }
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Rows per parallel block for `m` rows on `threads` threads: a few blocks per thread for
    /// balance, whole micro-tiles, and small enough that a block's inputs stay in L2.
    pub fn block_rows(&self, m: usize, threads: usize) -> usize {
        let per = m.div_ceil(4 * threads.max(1));
        match self.kernel {
            Kernel::Amx => per.div_ceil(AMX_ROWS).clamp(1, 8) * AMX_ROWS,
            _ => per.div_ceil(MR).clamp(4, 20) * MR,
        }
    }

    /// `y = x · W + b` for `x` [rows, k] and `y` [rows, n], row-major. `scratch` holds the
    /// rounded inputs (reused between calls).
    pub fn forward(&self, x: &[f32], y: &mut [f32], scratch: &mut Vec<u16>) {
        let rows = x.len() / self.k.max(1);
        assert_eq!(x.len(), rows * self.k, "input is not [rows, k]");
        assert_eq!(y.len(), rows * self.n, "output is not [rows, n]");
        let stride = self.kpairs * 2;
        scratch.clear();
        // AMX reads whole tiles of rows: zeros past the last
        let padded = if self.kernel == Kernel::Amx { rows.div_ceil(AMX_ROWS) * AMX_ROWS } else { rows };
        scratch.resize(padded * stride, 0);
        for (src, dst) in x.chunks_exact(self.k).zip(scratch.chunks_exact_mut(stride)) {
            round_row(src, dst, self.kernel);
        }
        #[cfg(target_arch = "x86_64")]
        if self.kernel == Kernel::Amx {
            // SAFETY: Amx is only chosen when amx::available(); scratch has `padded` rows of
            // `stride`, the panels and biases are packed for this kernel, y is [rows, n].
            unsafe { amx::forward(scratch, stride, rows, &self.panels, self.kpairs, &self.bias, y, self.n) };
            return;
        }
        for p in 0..self.n.div_ceil(NR) {
            let panel = &self.panels[p * self.kpairs * NR * 2..][..self.kpairs * NR * 2];
            let bias = &self.bias[p * NR..][..NR];
            let cols = NR.min(self.n - p * NR);
            for r0 in (0..rows).step_by(MR) {
                let tile = Tile { a: &scratch[r0 * stride..], stride, rows: MR.min(rows - r0) };
                let out = &mut y[r0 * self.n + p * NR..];
                match self.kernel {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: Avx512 is only chosen when hardware_supported(); the slices are
                    // long enough for the tile (checked by the asserts above and the packing).
                    Kernel::Avx512 => unsafe { avx512::tile(&tile, panel, bias, out, self.n, cols) },
                    _ => portable_tile(&tile, panel, bias, out, self.n, cols),
                }
            }
        }
    }
}

/// Up to [`MR`] rows of rounded inputs, `stride` bfloat16 apart.
struct Tile<'a> {
    a: &'a [u16],
    stride: usize,
    rows: usize,
}

fn round_row(src: &[f32], dst: &mut [u16], kernel: Kernel) {
    #[cfg(target_arch = "x86_64")]
    if kernel != Kernel::Portable {
        // SAFETY: Avx512 is only chosen when the CPU has the instructions; dst is as long as src.
        unsafe { avx512::round_row(src, dst) };
        return;
    }
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = to_bf16(s);
    }
}

fn portable_tile(t: &Tile<'_>, panel: &[u16], bias: &[f32], out: &mut [f32], ldc: usize, cols: usize) {
    let kpairs = t.stride / 2;
    for r in 0..t.rows {
        let mut acc = [0f32; NR];
        let a = &t.a[r * t.stride..][..t.stride];
        for kp in 0..kpairs {
            let (a0, a1) = (from_bf16(a[2 * kp]), from_bf16(a[2 * kp + 1]));
            let b = &panel[kp * NR * 2..][..NR * 2];
            for (j, acc) in acc.iter_mut().enumerate() {
                *acc += a0 * from_bf16(b[2 * j]) + a1 * from_bf16(b[2 * j + 1]);
            }
        }
        for j in 0..cols {
            out[r * ldc + j] = acc[j] + bias[j];
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Tile, MR, NR};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx512bf16")]
    pub(super) unsafe fn round_row(src: &[f32], dst: &mut [u16]) {
        let whole = src.len() / 32 * 32;
        let mut i = 0;
        while i < whole {
            let lo = _mm512_loadu_ps(src.as_ptr().add(i));
            let hi = _mm512_loadu_ps(src.as_ptr().add(i + 16));
            let packed: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
            _mm512_storeu_si512(dst.as_mut_ptr().add(i).cast(), packed);
            i += 32;
        }
        for j in whole..src.len() {
            dst[j] = super::to_bf16(src[j]);
        }
    }

    /// One tile: up to MR rows x NR columns, all k; writes acc + bias for `cols` columns.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub(super) unsafe fn tile(t: &Tile<'_>, panel: &[u16], bias: &[f32], out: &mut [f32], ldc: usize, cols: usize) {
        let kpairs = t.stride / 2;
        let mut acc = [[_mm512_setzero_ps(); 4]; MR];
        let a = t.a.as_ptr();
        let b = panel.as_ptr();
        macro_rules! rows {
            ($n:expr) => {
                for kp in 0..kpairs {
                    let q = b.add(kp * NR * 2);
                    let b0: __m512bh = std::mem::transmute(_mm512_loadu_si512(q.cast()));
                    let b1: __m512bh = std::mem::transmute(_mm512_loadu_si512(q.add(32).cast()));
                    let b2: __m512bh = std::mem::transmute(_mm512_loadu_si512(q.add(64).cast()));
                    let b3: __m512bh = std::mem::transmute(_mm512_loadu_si512(q.add(96).cast()));
                    for (r, acc) in acc.iter_mut().enumerate().take($n) {
                        let pair = (a.add(r * t.stride + 2 * kp) as *const i32).read_unaligned();
                        let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(pair));
                        acc[0] = _mm512_dpbf16_ps(acc[0], av, b0);
                        acc[1] = _mm512_dpbf16_ps(acc[1], av, b1);
                        acc[2] = _mm512_dpbf16_ps(acc[2], av, b2);
                        acc[3] = _mm512_dpbf16_ps(acc[3], av, b3);
                    }
                }
            };
        }
        // a constant row count lets the compiler keep all accumulators in registers
        match t.rows {
            6 => rows!(6),
            5 => rows!(5),
            4 => rows!(4),
            3 => rows!(3),
            2 => rows!(2),
            _ => rows!(1),
        }
        for (r, acc) in acc.iter().enumerate().take(t.rows) {
            for (q, v) in acc.iter().enumerate() {
                let c0 = q * 16;
                if c0 >= cols {
                    break;
                }
                let v = _mm512_add_ps(*v, _mm512_loadu_ps(bias.as_ptr().add(c0)));
                let dst = out.as_mut_ptr().add(r * ldc + c0);
                if cols - c0 >= 16 {
                    _mm512_storeu_ps(dst, v);
                } else {
                    _mm512_mask_storeu_ps(dst, (1u16 << (cols - c0)) - 1, v);
                }
            }
        }
    }
}

/// The AMX kernel. Tiles: tmm0-3 hold 2x2 blocks of 16x16 float32 sums (32 rows x 32
/// columns), tmm4-5 two 16x32 blocks of rounded inputs, tmm6-7 two 16-pair x 16-column blocks
/// of a panel, which is already in the pair-interleaved layout `tdpbf16ps` reads. Sums start
/// from the bias (replicated in 16 rows per panel) and are stored straight into the output
/// where a tile lies inside it. Stable Rust has no AMX intrinsics: the instructions are inline
/// assembly; the compiler never uses tile registers itself.
#[cfg(target_arch = "x86_64")]
mod amx {
    use super::{AMX_ROWS, NR};
    use std::arch::asm;
    use std::sync::OnceLock;

    /// Whether the CPU is Intel's.
    pub(super) fn intel() -> bool {
        // SAFETY: CPUID leaf 0 exists on every x86_64 CPU.
        #[allow(unused_unsafe)]
        let r = unsafe { std::arch::x86_64::__cpuid(0) };
        (r.ebx, r.edx, r.ecx) == (0x756e_6547, 0x4965_6e69, 0x6c65_746e) // "GenuineIntel"
    }

    /// Whether the CPU has AMX-BF16 and Linux lets this process use the tile registers
    /// (permission asked once, for the whole process; refused on kernels before 5.16).
    pub(super) fn available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            // SAFETY: CPUID leaf 7 exists on every CPU with AVX512 (checked first).
            #[allow(unused_unsafe)]
            let edx = unsafe { std::arch::x86_64::__cpuid_count(7, 0) }.edx;
            let (amx_bf16, amx_tile) = (edx & (1 << 22) != 0, edx & (1 << 24) != 0);
            if !(super::hardware_supported() && amx_bf16 && amx_tile) {
                return false;
            }
            const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
            const XFEATURE_XTILEDATA: libc::c_long = 18;
            // SAFETY: arch_prctl with these arguments only changes the process's permissions.
            unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 }
        })
    }

    /// The tile configuration: palette 1, all eight tiles 16 rows of 64 bytes.
    #[repr(C, align(64))]
    struct Config {
        palette: u8,
        start_row: u8,
        reserved: [u8; 14],
        colsb: [u16; 16],
        rows: [u8; 16],
    }

    const TILE: usize = 16;
    /// bfloat16 values in one tile: 16 rows of 64 bytes.
    const TILE_U16: usize = TILE * 32;

    /// Reorders panels so that each weight tile (16 pairs of k x 16 columns) is 1 KB of
    /// consecutive memory, in the order [`forward`] reads them: per panel, per 32-column half,
    /// per 16 pairs of k, the half's two tiles: one contiguous stream per half, which the
    /// prefetchers follow (4% faster end to end than loading tiles from the panel's 256-byte rows).
    pub(super) fn tile_order(panels: &[u16], kpairs: usize) -> Vec<u16> {
        let mut out = Vec::with_capacity(panels.len());
        for panel in panels.chunks(kpairs * NR * 2) {
            for half in 0..NR / (2 * TILE) {
                for kb in 0..kpairs / TILE {
                    for t in 0..2 {
                        for kp in kb * TILE..(kb + 1) * TILE {
                            let col = half * 2 * TILE + t * TILE;
                            out.extend_from_slice(&panel[(kp * NR + col) * 2..][..TILE * 2]);
                        }
                    }
                }
            }
        }
        out
    }

    /// Pairs of k per chunk: a chunk of a column half's weights (8 x 2 KB) stays in L1 while
    /// every row block of the call multiplies it. Without chunks, each 16x16x32 step loaded
    /// both its operands from L2 and the tiles waited on them.
    const KB_PER_CHUNK: usize = 8;

    thread_local! {
        /// Sums of one column half for all rows of a call, per thread (ONNX Runtime's pool).
        static SUMS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// `y = a · panels + bias` for `rows` rows of rounded inputs `a` (`stride` bfloat16 apart,
    /// then zero rows up to a whole [`AMX_ROWS`]: `a` is that long), `kpairs` a multiple of 16.
    /// SAFETY: only where [`available`]; the slices as [`super::PackedLinear`] packs them.
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn forward(
        a: &[u16],
        stride: usize,
        rows: usize,
        panels: &[u16],
        kpairs: usize,
        bias: &[f32],
        y: &mut [f32],
        n: usize,
    ) {
        let mut cfg = Config { palette: 1, start_row: 0, reserved: [0; 14], colsb: [0; 16], rows: [0; 16] };
        for t in 0..8 {
            cfg.colsb[t] = 64;
            cfg.rows[t] = TILE as u8;
        }
        let padded = a.len() / stride;
        debug_assert!(padded.is_multiple_of(AMX_ROWS) && padded >= rows);
        let a_stride = stride * 2; // bytes
        let bias_stride = NR * 4;
        // the sums of one half: [padded rows][32 columns]
        let sums_stride = 2 * TILE * 4;
        let kblocks = kpairs / TILE;
        SUMS.with_borrow_mut(|sums| {
            sums.clear();
            sums.resize(padded * 2 * TILE, 0.0);
            asm!("ldtilecfg [{}]", in(reg) &cfg, options(nostack, readonly, preserves_flags));
            for p in 0..n.div_ceil(NR) {
                let panel = panels.as_ptr().add(p * kpairs * NR * 2);
                let cols = NR.min(n - p * NR);
                for c0 in (0..cols).step_by(2 * TILE) {
                    let half = panel.add(c0 / (2 * TILE) * kblocks * 2 * TILE_U16);
                    for kc in (0..kblocks).step_by(KB_PER_CHUNK) {
                        for r0 in (0..padded).step_by(AMX_ROWS) {
                            let c = sums.as_mut_ptr().add(r0 * 2 * TILE);
                            // rows r0 + 16..; the first chunk starts from the bias, the others from the sums so far
                            let c1 = c.add(TILE * 2 * TILE);
                            let (s0, s1, s) = if kc == 0 {
                                let b = bias.as_ptr().add(p * TILE * NR + c0);
                                (b, b, bias_stride)
                            } else {
                                (c.cast_const(), c1.cast_const(), sums_stride)
                            };
                            asm!(
                                "tileloadd tmm0, [{s0} + {s}*1]",
                                "tileloadd tmm1, [{s0x} + {s}*1]",
                                "tileloadd tmm2, [{s1} + {s}*1]",
                                "tileloadd tmm3, [{s1x} + {s}*1]",
                                s0 = in(reg) s0, s0x = in(reg) s0.add(TILE),
                                s1 = in(reg) s1, s1x = in(reg) s1.add(TILE),
                                s = in(reg) s,
                                options(nostack, readonly, preserves_flags)
                            );
                            let a0 = a.as_ptr().add(r0 * stride);
                            let a1 = a0.add(TILE * stride);
                            for kb in kc..kblocks.min(kc + KB_PER_CHUNK) {
                                let w0 = half.add(kb * 2 * TILE_U16);
                                asm!(
                                    "tileloadd tmm4, [{a0} + {sa}*1]",
                                    "tileloadd tmm5, [{a1} + {sa}*1]",
                                    "tileloadd tmm6, [{w0} + {sb}*1]",
                                    "tileloadd tmm7, [{w1} + {sb}*1]",
                                    "tdpbf16ps tmm0, tmm4, tmm6",
                                    "tdpbf16ps tmm1, tmm4, tmm7",
                                    "tdpbf16ps tmm2, tmm5, tmm6",
                                    "tdpbf16ps tmm3, tmm5, tmm7",
                                    a0 = in(reg) a0.add(kb * 2 * TILE),
                                    a1 = in(reg) a1.add(kb * 2 * TILE),
                                    w0 = in(reg) w0,
                                    w1 = in(reg) w0.add(TILE_U16),
                                    sa = in(reg) a_stride,
                                    sb = in(reg) 64usize,
                                    options(nostack, readonly, preserves_flags)
                                );
                            }
                            asm!(
                                "tilestored [{c0} + {s}*1], tmm0",
                                "tilestored [{c0x} + {s}*1], tmm1",
                                "tilestored [{c1} + {s}*1], tmm2",
                                "tilestored [{c1x} + {s}*1], tmm3",
                                c0 = in(reg) c, c0x = in(reg) c.add(TILE),
                                c1 = in(reg) c1, c1x = in(reg) c1.add(TILE),
                                s = in(reg) sums_stride,
                                options(nostack, preserves_flags)
                            );
                        }
                    }
                    let width = (2 * TILE).min(cols - c0);
                    for r in 0..rows {
                        let dst = r * n + p * NR + c0;
                        y[dst..dst + width].copy_from_slice(&sums[r * 2 * TILE..][..width]);
                    }
                }
            }
            asm!("tilerelease", options(nostack, nomem, preserves_flags));
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    }

    /// The exact result of bf16-rounded operands, summed in f64.
    fn reference(x: &[f32], w: &[f32], b: &[f32], k: usize, n: usize) -> Vec<f32> {
        let rows = x.len() / k;
        let mut y = vec![0f32; rows * n];
        for i in 0..rows {
            for j in 0..n {
                let s: f64 = (0..k)
                    .map(|t| from_bf16(to_bf16(x[i * k + t])) as f64 * from_bf16(to_bf16(w[t * n + j])) as f64)
                    .sum();
                y[i * n + j] = (s + b[j] as f64) as f32;
            }
        }
        y
    }

    fn check(rows: usize, k: usize, n: usize, kernel: Kernel) {
        let mut seed = (rows * 1000 + k * 10 + n) as u64;
        let x: Vec<f32> = (0..rows * k).map(|_| lcg(&mut seed)).collect();
        let w: Vec<f32> = (0..k * n).map(|_| lcg(&mut seed)).collect();
        let b: Vec<f32> = (0..n).map(|_| lcg(&mut seed)).collect();
        let lin = PackedLinear::with_kernel(&w, k, n, Some(&b), kernel);
        let mut y = vec![f32::NAN; rows * n];
        lin.forward(&x, &mut y, &mut Vec::new());
        let want = reference(&x, &w, &b, k, n);
        for (i, (got, want)) in y.iter().zip(&want).enumerate() {
            assert!(
                (got - want).abs() <= 1e-4 * (k as f32).sqrt(),
                "{kernel:?} {rows}x{k}x{n} at {i}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn both_kernels_match_the_rounded_product_for_ragged_shapes() {
        for kernel in [Kernel::Portable, Kernel::Avx512, Kernel::Amx] {
            for &(rows, k, n) in &[(1, 1, 1), (7, 5, 3), (6, 384, 64), (13, 33, 130), (25, 384, 1536), (11, 1536, 384)]
            {
                check(rows, k, n, kernel);
            }
        }
    }

    #[test]
    fn the_fastest_kernel_is_chosen() {
        #[cfg(target_arch = "x86_64")]
        let best = match (amx::available(), hardware_supported()) {
            (true, _) => Kernel::Amx,
            (false, true) => Kernel::Avx512,
            _ => Kernel::Portable,
        };
        #[cfg(not(target_arch = "x86_64"))]
        let best = Kernel::Portable;
        eprintln!("bf16 kernel on this CPU: {best:?}");
        assert_eq!(PackedLinear::with_kernel(&[1.0], 1, 1, None, Kernel::Amx).kernel(), best);
        assert_eq!(PackedLinear::with_kernel(&[1.0], 1, 1, None, Kernel::Portable).kernel(), Kernel::Portable);
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        assert_eq!(to_bf16(1.0), 0x3f80);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0)
        assert_eq!(to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80);
        assert_eq!(to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82);
        assert_eq!(to_bf16(f32::from_bits(0x3f80_8001)), 0x3f81);
        assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
        assert_eq!(from_bf16(to_bf16(f32::INFINITY)), f32::INFINITY);
    }

    #[test]
    fn blocks_are_whole_tiles() {
        for kernel in [Kernel::Portable, Kernel::Avx512, Kernel::Amx] {
            let lin = PackedLinear::with_kernel(&[1.0; 4], 2, 2, None, kernel);
            let (tile, range) = match lin.kernel() {
                Kernel::Amx => (AMX_ROWS, 32..=256),
                _ => (MR, 24..=120),
            };
            for m in [1, 6, 7, 100, 1024, 4480] {
                for t in [1, 2, 16] {
                    let b = lin.block_rows(m, t);
                    assert_eq!(b % tile, 0);
                    assert!(range.contains(&b), "{kernel:?}: {b}");
                }
            }
        }
    }
}
