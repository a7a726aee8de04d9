//! `ai.pgai:LinearBf16`, an ONNX Runtime custom operator: `Y = X · W + B` on the bfloat16
//! kernels of [`super::bf16`]. ONNX Runtime has no bfloat16 matrix product on x86 CPUs; for the
//! `bf16` precision, [`super::onnx_rewrite`] makes every linear layer of a graph one node of this
//! operator, and ONNX Runtime's own float32 operators run everything else.
//!
//! Inputs: X float32 [..., K]; W bfloat16 [K, N] and B float32 [N], both constant initializers
//! (packed once, when the session creates the kernel). Output: Y float32 [..., N].

use super::bf16::PackedLinear;
use ort::operator::{ComputeContext, Kernel, KernelContext, Operator, OperatorDomain, OperatorInput, OperatorOutput};
use ort::value::{TensorElementType, TensorValueType};
use std::cell::RefCell;

/// The operator domain graphs name (`ai.pgai`, version 1).
pub const DOMAIN: &str = "ai.pgai";

/// The domain with every operator of this module, to register on a session builder whose
/// intra-op pool has `threads` threads.
pub fn domain(threads: usize) -> ort::Result<OperatorDomain> {
    OperatorDomain::new(DOMAIN)?.add(LinearBf16 { threads })
}

struct LinearBf16 {
    threads: usize,
}

impl Operator for LinearBf16 {
    type Kernel<'attr> = LinearKernel;

    fn name(&self) -> &str {
        "LinearBf16"
    }

    fn inputs(&self) -> impl IntoIterator<Item = OperatorInput> {
        [TensorElementType::Float32, TensorElementType::Bfloat16, TensorElementType::Float32]
            .map(OperatorInput::required)
    }

    fn outputs(&self) -> impl IntoIterator<Item = OperatorOutput> {
        [OperatorOutput::required(TensorElementType::Float32)]
    }

    fn create_kernel<'attr>(&self, ctx: &KernelContext<'attr>) -> ort::Result<LinearKernel> {
        let node = ctx.node_name().unwrap_or_default();
        let not_constant = |what: &str, e: ort::Error| {
            ort::Error::new(format!("LinearBf16 {node}: {what} must be an initializer ({e})"))
        };
        let w = ctx.constant_input::<TensorValueType<half::bf16>>(1).map_err(|e| not_constant("W", e))?;
        let (w_shape, w) = w.try_extract_tensor::<half::bf16>()?;
        let b = ctx.constant_input::<TensorValueType<f32>>(2).map_err(|e| not_constant("B", e))?;
        let (b_shape, b) = b.try_extract_tensor::<f32>()?;
        let (k, n) = match w_shape[..] {
            [k, n] if k > 0 && n > 0 && b_shape[..] == [n] => (k as usize, n as usize),
            _ => {
                return Err(ort::Error::new(format!(
                    "LinearBf16 {node}: W must be [K, N] and B [N] (got {:?} and {:?})",
                    &w_shape[..],
                    &b_shape[..]
                )))
            }
        };
        let w: Vec<u16> = w.iter().map(|x| x.to_bits()).collect();
        let packed = PackedLinear::rounded(&w, k, n, Some(b), super::bf16::default_kernel());
        Ok(LinearKernel { packed, threads: self.threads })
    }
}

struct LinearKernel {
    packed: PackedLinear,
    threads: usize,
}

/// The output buffer, written by several threads at disjoint rows.
struct Rows(*mut f32);
// SAFETY: every block writes only its own rows of the buffer, which outlives the parallel loop.
unsafe impl Sync for Rows {}
unsafe impl Send for Rows {}

impl Rows {
    /// Rows r0..r1 of `n` floats. SAFETY: callers take disjoint ranges within the buffer.
    #[allow(clippy::mut_from_ref)] // the point of the type: disjoint mutable rows from threads
    unsafe fn range(&self, r0: usize, r1: usize, n: usize) -> &mut [f32] {
        std::slice::from_raw_parts_mut(self.0.add(r0 * n), (r1 - r0) * n)
    }
}

thread_local! {
    /// Rounded inputs of one block, per thread: ONNX Runtime's pool threads live as long as the session.
    static SCRATCH: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

impl Kernel for LinearKernel {
    fn compute(&mut self, ctx: &ComputeContext) -> ort::Result<()> {
        let (k, n) = (self.packed.k(), self.packed.n());
        let x = ctx.input(0)?.ok_or_else(|| ort::Error::new("LinearBf16: no input X"))?;
        let (x_shape, x) = x.try_extract_tensor::<f32>()?;
        if x_shape.last().copied() != Some(k as i64) {
            return Err(ort::Error::new(format!("LinearBf16: X is {:?}, expected [..., {k}]", &x_shape[..])));
        }
        let rows = x.len() / k;
        let mut shape = x_shape.to_vec();
        *shape.last_mut().expect("X has dimensions") = n as i64;
        let mut y = ctx.output(0, shape)?.ok_or_else(|| ort::Error::new("LinearBf16: no output Y"))?;
        let (_, y) = y.try_extract_tensor_mut::<f32>()?;
        if rows == 0 {
            return Ok(());
        }
        let block = self.packed.block_rows(rows, self.threads);
        let out = Rows(y.as_mut_ptr());
        let packed = &self.packed;
        ctx.par_for(rows.div_ceil(block), 0, |i| {
            let (r0, r1) = (i * block, ((i + 1) * block).min(rows));
            // SAFETY: blocks are disjoint row ranges of Y, which has rows * n floats.
            let y = unsafe { out.range(r0, r1, n) };
            SCRATCH.with_borrow_mut(|scratch| packed.forward(&x[r0 * k..r1 * k], y, scratch));
        })
    }
}
