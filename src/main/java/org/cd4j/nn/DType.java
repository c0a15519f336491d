package org.cd4j.nn;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The element types cd4j reads, writes and computes in, with their names in the file formats
 * (safetensors header dtype, torch pickle storage class) and in libtorch.
 */
public enum DType {
    F64("F64", "DoubleStorage", ScalarType.Double, 8),
    F32("F32", "FloatStorage", ScalarType.Float, 4),
    F16("F16", "HalfStorage", ScalarType.Half, 2),
    BF16("BF16", "BFloat16Storage", ScalarType.BFloat16, 2),
    I64("I64", "LongStorage", ScalarType.Long, 8),
    I32("I32", "IntStorage", ScalarType.Int, 4),
    I16("I16", "ShortStorage", ScalarType.Short, 2),
    I8("I8", "CharStorage", ScalarType.Char, 1),
    U8("U8", "ByteStorage", ScalarType.Byte, 1),
    BOOL("BOOL", "BoolStorage", ScalarType.Bool, 1);

    /** Name in a safetensors header. */
    public final String safetensorsName;
    /** Class name of the storage in a torch pickle ({@code torch.FloatStorage} ...). */
    public final String torchStorageName;
    /** The libtorch scalar type. */
    public final ScalarType scalarType;
    /** Bytes per element. */
    public final int size;

    DType(String safetensorsName, String torchStorageName, ScalarType scalarType, int size) {
        this.safetensorsName = safetensorsName;
        this.torchStorageName = torchStorageName;
        this.scalarType = scalarType;
        this.size = size;
    }

    /** Whether values are floating point (the dtypes weights may come in). */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The dtype of a safetensors header name, or null when it is not one cd4j reads. */
    public static DType fromSafetensorsName(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) return d;
        }
        return null;
    }

    /** The dtype of a torch storage class name, or null when it is not one cd4j reads. */
    public static DType fromTorchStorageName(String name) {
        for (DType d : values()) {
            if (d.torchStorageName.equals(name)) return d;
        }
        return null;
    }

    /** The dtype of a libtorch scalar type. */
    public static DType of(ScalarType st) {
        // JavaCPP may hand out distinct enum-like objects for one scalar type: compare the values
        for (DType d : values()) {
            if (d.scalarType.value == st.value) return d;
        }
        throw new IllegalArgumentException("unsupported libtorch dtype " + st);
    }

    /** Parses a user-facing name: fp32/float32/f32, fp16/float16/half, bf16/bfloat16. */
    public static DType parse(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32": case "float32": case "f32": case "float": return F32;
            case "fp16": case "float16": case "f16": case "half": return F16;
            case "bf16": case "bfloat16": return BF16;
            case "fp64": case "float64": case "double": return F64;
            default: throw new IllegalArgumentException("unknown dtype '" + s + "' (expected fp32, fp16 or bf16)");
        }
    }
}
