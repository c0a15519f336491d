package org.cd4j.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.cd4j.nn.DType;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The parsed and validated JSON header of a safetensors file. Validation follows the reference
 * Rust crate ({@code Metadata::validate}): sorted by offsets, the tensors must tile the data region
 * exactly, each tensor's byte length must equal its element count times its dtype size, and the
 * last tensor must end where the file ends.
 */
record SafetensorsHeader(Map<String, SafetensorsFile.TensorInfo> infos, Map<String, String> metadata) {
    /** The reference crate's limit; a larger header is a corrupt length, not a real header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** Tensors ordered by where their data lies. */
    List<SafetensorsFile.TensorInfo> byOffset() {
        List<SafetensorsFile.TensorInfo> l = new ArrayList<>(infos.values());
        l.sort(Comparator.comparingLong(SafetensorsFile.TensorInfo::begin)
                .thenComparingLong(SafetensorsFile.TensorInfo::end));
        return l;
    }

    /**
     * Parses {@code header} (the bytes after the length prefix) of {@code file}, whose data
     * region is {@code dataLength} bytes long.
     */
    static SafetensorsHeader parse(Path file, byte[] header, long dataLength) throws FormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new FormatException(file, "header is not valid UTF-8, expected a UTF-8 JSON object", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            if (why != null && why.startsWith("Duplicate field")) {
                throw new FormatException(file, "header has a duplicate key: " + why
                        + ", expected each tensor name once", e);
            }
            throw new FormatException(file, "header is not valid JSON (" + why + "), expected a JSON object", e);
        }
        if (root == null || !root.isObject()) {
            throw new FormatException(file, "header is " + (root == null ? "empty" : "a JSON " + root.getNodeType())
                    + ", expected a JSON object of tensor entries");
        }
        Map<String, SafetensorsFile.TensorInfo> infos = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                parseMetadata(file, e.getValue(), meta);
            } else {
                infos.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue()));
            }
        }
        SafetensorsHeader h = new SafetensorsHeader(infos, meta);
        h.validateLayout(file, dataLength);
        return h;
    }

    private static void parseMetadata(Path file, JsonNode node, Map<String, String> meta) throws FormatException {
        if (node.isNull()) return; // the Rust crate reads an Option: null means none
        if (!node.isObject()) {
            throw new FormatException(file, "__metadata__ is a JSON " + node.getNodeType()
                    + ", expected an object of string values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new FormatException(file, "__metadata__ value of '" + m.getKey() + "' is a JSON "
                        + m.getValue().getNodeType() + " (" + abbreviate(m.getValue().toString())
                        + "), expected a string");
            }
            meta.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static SafetensorsFile.TensorInfo parseEntry(Path file, String name, JsonNode v) throws FormatException {
        String what = "tensor '" + name + "'";
        if (!v.isObject()) {
            throw new FormatException(file, what + " is a JSON " + v.getNodeType()
                    + ", expected an object with dtype, shape and data_offsets");
        }
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        for (String[] f : new String[][] {{"dtype", "a string"}, {"shape", "a list of sizes"},
                {"data_offsets", "[begin, end]"}}) {
            if (v.get(f[0]) == null) {
                throw new FormatException(file, what + " has no '" + f[0] + "', expected " + f[1]);
            }
        }
        if (!dt.isTextual()) {
            throw new FormatException(file, what + " has dtype " + abbreviate(dt.toString()) + ", expected a string");
        }
        DType dtype = DType.fromSafetensorsName(dt.textValue());
        if (dtype == null) {
            throw new FormatException(file, what + " has dtype '" + dt.textValue() + "', which cd4j does not read; expected one of "
                    + Arrays.stream(DType.values()).map(d -> d.safetensorsName).collect(Collectors.joining(", ")));
        }
        if (!sh.isArray()) {
            throw new FormatException(file, what + " has shape " + abbreviate(sh.toString()) + ", expected a list of sizes");
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(file, sh.get(i), what + " has a shape " + abbreviate(sh.toString()), "sizes");
        }
        if (!off.isArray() || off.size() != 2) {
            throw new FormatException(file, what + " has data_offsets " + abbreviate(off.toString()) + ", expected [begin, end]");
        }
        long begin = nonNegativeLong(file, off.get(0), what + " has data_offsets " + off, "byte offsets");
        long end = nonNegativeLong(file, off.get(1), what + " has data_offsets " + off, "byte offsets");
        return new SafetensorsFile.TensorInfo(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(Path file, JsonNode n, String context, String expected) throws FormatException {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw new FormatException(file, context + ", expected non-negative integer " + expected);
        }
        return n.longValue();
    }

    /** Checks that the tensors tile {@code [0, dataLength)} exactly and match their shapes. */
    private void validateLayout(Path file, long dataLength) throws FormatException {
        long expectedBegin = 0;
        String previous = null;
        for (SafetensorsFile.TensorInfo i : byOffset()) {
            String what = "tensor '" + i.name() + "'";
            if (i.end() < i.begin()) {
                throw new FormatException(file, what + " has data_offsets [" + i.begin() + ", " + i.end()
                        + "], expected end >= begin");
            }
            if (i.begin() != expectedBegin) {
                String prev = previous == null ? "the data region starts" : "the previous tensor '" + previous + "' ends";
                String kind = i.begin() < expectedBegin ? "overlaps" : "leaves a gap";
                throw new FormatException(file, what + " starts at data byte " + i.begin() + " but " + prev + " at "
                        + expectedBegin + " (" + kind + "), expected tensors to follow each other without gaps or overlaps");
            }
            long numel;
            long bytes;
            try {
                numel = 1;
                for (long d : i.shape()) numel = Math.multiplyExact(numel, d);
                bytes = Math.multiplyExact(numel, (long) i.dtype().size);
            } catch (ArithmeticException e) {
                throw new FormatException(file, what + " has shape " + Arrays.toString(i.shape())
                        + " whose size overflows, expected a realistic shape");
            }
            if (i.end() - i.begin() != bytes) {
                throw new FormatException(file, what + " spans " + (i.end() - i.begin()) + " bytes, expected "
                        + bytes + " for " + i.dtype() + Arrays.toString(i.shape()));
            }
            if (i.end() > dataLength) {
                throw new FormatException(file, what + " ends at data byte " + i.end() + " beyond the data region of "
                        + dataLength + " bytes (the file may be truncated)");
            }
            expectedBegin = i.end();
            previous = i.name();
        }
        if (expectedBegin != dataLength) {
            throw new FormatException(file, "the tensors cover " + expectedBegin + " bytes of a " + dataLength
                    + "-byte data region, expected them to cover it exactly (trailing bytes or a wrong header)");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
