package org.cd4j.nn;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.LongArrayRef;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Creating tensors from Java data and reading them back; the only place that touches raw native
 * pointers of tensor data. All tensors created here are CPU tensors ({@link Device#put} moves
 * them); tensors read back may be on any device.
 */
public final class Tensors {
    static {
        Torch.init();
    }

    private Tensors() {}

    /** Options for a CPU tensor of the given dtype. */
    public static TensorOptions options(DType dtype) {
        return new TensorOptions(dtype.scalarType);
    }

    /** Options for a tensor of the given dtype on the device of {@code like}. */
    public static TensorOptions options(DType dtype, Tensor like) {
        return new TensorOptions(like.device()).dtype(new org.bytedeco.pytorch.ScalarTypeOptional(dtype.scalarType));
    }

    /** A new float32 tensor holding a copy of {@code data}. */
    public static Tensor fromFloats(float[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = torch.empty(shape, options(DType.F32), new MemoryFormatOptional());
        if (data.length > 0) new FloatPointer(t.data_ptr_float()).capacity(data.length).put(data);
        return t;
    }

    /** A new int64 tensor holding a copy of {@code data}. */
    public static Tensor fromLongs(long[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = torch.empty(shape, options(DType.I64), new MemoryFormatOptional());
        if (data.length > 0) new LongPointer(t.data_ptr_long()).capacity(data.length).put(data);
        return t;
    }

    /** A 0-dimensional float32 tensor. */
    public static Tensor scalar(double v) {
        return torch.scalar_tensor(new Scalar(v), options(DType.F32));
    }

    /**
     * A tensor that views little-endian bytes without copying them. The caller keeps
     * {@code buffer} (for example a memory-mapped file) alive for as long as the tensor is used;
     * loaders copy such views into parameters right away.
     */
    public static Tensor viewOf(ByteBuffer buffer, DType dtype, long... shape) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("viewOf needs a direct or mapped buffer");
        }
        long n = numel(shape);
        if ((long) buffer.remaining() != n * dtype.size) {
            throw new IllegalArgumentException("buffer holds " + buffer.remaining() + " bytes, shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + n * dtype.size);
        }
        if (n == 0) return torch.empty(shape, options(dtype), new MemoryFormatOptional());
        Pointer p = new BytePointer(buffer).position(0);
        return torch.from_blob(p, shape, options(dtype));
    }

    /** A tensor owning a copy of the little-endian bytes. */
    public static Tensor copyOf(ByteBuffer buffer, DType dtype, long... shape) {
        ByteBuffer direct = buffer;
        if (!buffer.isDirect()) {
            direct = ByteBuffer.allocateDirect(buffer.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            direct.put(buffer.duplicate()).flip();
        }
        try (NoGradGuard g = new NoGradGuard()) {
            return viewOf(direct, dtype, shape).clone();
        }
    }

    /** The little-endian bytes of a tensor (made contiguous on the CPU first). */
    public static byte[] bytes(Tensor t) {
        Tensor c = t.detach().cpu().contiguous();
        long n = c.nbytes();
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("tensor too large for a byte[]: " + n);
        byte[] out = new byte[(int) n];
        if (n > 0) new BytePointer(c.data_ptr()).capacity(n).get(out);
        return out;
    }

    /** The values of a tensor as floats (converted to float32, flattened in C order). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().cpu().to(torch.ScalarType.Float).contiguous();
        float[] out = new float[(int) c.numel()];
        if (out.length > 0) new FloatPointer(c.data_ptr_float()).capacity(out.length).get(out);
        return out;
    }

    /** The values of a tensor as longs (converted to int64, flattened in C order). */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().cpu().to(torch.ScalarType.Long).contiguous();
        long[] out = new long[(int) c.numel()];
        if (out.length > 0) new LongPointer(c.data_ptr_long()).capacity(out.length).get(out);
        return out;
    }

    /** The shape of a tensor. */
    public static long[] shape(Tensor t) {
        LongArrayRef s = t.sizes();
        return s.vec().get();
    }

    /** The dtype of a tensor. */
    public static DType dtype(Tensor t) {
        return DType.of(t.scalar_type());
    }

    /** Number of elements of a shape. */
    public static long numel(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void checkCount(int n, long[] shape) {
        if (numel(shape) != n) {
            throw new IllegalArgumentException(n + " values do not fill shape " + Arrays.toString(shape));
        }
    }

    /** Largest absolute element-wise difference of two tensors of one shape. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        if (!Arrays.equals(shape(a), shape(b))) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(shape(a)) + " vs " + Arrays.toString(shape(b)));
        }
        try (NoGradGuard g = new NoGradGuard()) {
            return a.to(torch.ScalarType.Double).sub(b.to(torch.ScalarType.Double)).abs().max().item_double();
        }
    }

    /** Largest absolute element. */
    public static double maxAbs(Tensor a) {
        try (NoGradGuard g = new NoGradGuard()) {
            return a.to(torch.ScalarType.Double).abs().max().item_double();
        }
    }
}
