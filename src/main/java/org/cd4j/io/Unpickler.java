package org.cd4j.io;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle virtual machine that never runs anything: it understands the opcodes of protocols 0-5
 * that tensor files use and builds plain values. Whatever would import or call Python code
 * (GLOBAL, REDUCE, NEWOBJ, BUILD, persistent ids) is handed to a {@link Host}, which decides what
 * a name means, or refuses it.
 *
 * <p>Values on the stack: {@code null}, {@link Boolean}, {@link Long} (or {@link BigInteger} when
 * larger), {@link Double}, {@link String}, {@code byte[]}, dicts as {@code LinkedHashMap<String,
 * Object>} (keys are turned into their Python {@code str()} form on insertion), lists as
 * {@link ArrayList}, and the VM's own {@link PyTuple}, {@link PySet} and {@link Global}; hosts add
 * their own objects. Every length is checked against the bytes left, so corrupt input fails with
 * a {@link FormatException} instead of a huge allocation.
 */
final class Unpickler {
    /** Decides what pickled references to Python code mean. */
    interface Host {
        /** A GLOBAL / STACK_GLOBAL: return a value standing for {@code module.name}, or refuse. */
        Object global(String module, String name) throws FormatException;

        /** REDUCE / NEWOBJ / INST / OBJ: apply {@code callable} to {@code args}. */
        Object call(Object callable, PyTuple args) throws FormatException;

        /** BINPERSID / PERSID: resolve a persistent id (torch: a storage). */
        Object persistentLoad(Object pid) throws FormatException;

        /** BUILD: set {@code state} on {@code target}. */
        void build(Object target, Object state) throws FormatException;

        /** SETITEM(S) on something that is not a dict; false when not supported. */
        boolean setItem(Object target, String key, Object value);

        /** APPEND(S) on something that is not a list; false when not supported. */
        boolean append(Object target, Object value);
    }

    /** A Python tuple. */
    record PyTuple(Object[] items) {
        static final PyTuple EMPTY = new PyTuple(new Object[0]);

        int size() {
            return items.length;
        }

        Object get(int i) {
            return items[i];
        }
    }

    /** A Python set (a list here, in insertion order). */
    static final class PySet extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;
    }

    /** A reference to a Python class or function, never resolved to code. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    private final Path file;
    private final String record;
    private final byte[] in;
    private final Host host;
    private final boolean lenient;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    /**
     * @param file   the file named in errors
     * @param record the pickle's name inside the file (e.g. {@code archive/data.pkl})
     */
    Unpickler(Path file, String record, byte[] in, Host host, boolean lenient) {
        this.file = file;
        this.record = record;
        this.in = in;
        this.host = host;
        this.lenient = lenient;
    }

    /** Runs the pickle to its STOP and returns the value it built. */
    Object load() throws FormatException {
        while (true) {
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { int v = u8(); if (v > 5) throw error("pickle protocol " + v + ", expected 0 to 5", at); }
                case 0x95 -> bytes(8) /* FRAME: frames only help streaming readers */;
                case '.' -> { return pop(at); }
                case '(' -> marks.push(stack.size());
                case '0' -> pop(at);
                case '1' -> popMark(at);
                case '2' -> push(peek(at));
                case '}' -> push(new LinkedHashMap<String, Object>());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(PyTuple.EMPTY);
                case 0x8f -> push(new PySet());
                case 0x91 -> push(new PyTuple(popMark(at).toArray()));
                case 0x90 -> { List<Object> items = popMark(at); set(peek(at), at).addAll(items); }
                case 'd' -> { LinkedHashMap<String, Object> d = new LinkedHashMap<>(); setItems(d, popMark(at), at); push(d); }
                case 'l' -> push(new ArrayList<>(popMark(at)));
                case 't' -> push(new PyTuple(popMark(at).toArray()));
                case 0x85 -> push(new PyTuple(new Object[] {pop(at)}));
                case 0x86 -> { Object b = pop(at); Object a = pop(at); push(new PyTuple(new Object[] {a, b})); }
                case 0x87 -> { Object c = pop(at); Object b = pop(at); Object a = pop(at); push(new PyTuple(new Object[] {a, b, c})); }
                case 's' -> { Object v = pop(at); Object k = pop(at); setItems(peek(at), Arrays.asList(k, v), at); }
                case 'u' -> { List<Object> items = popMark(at); setItems(peek(at), items, at); }
                case 'a' -> { Object v = pop(at); append(peek(at), Arrays.asList(v), at); }
                case 'e' -> { List<Object> items = popMark(at); append(peek(at), items, at); }
                case 'X' -> push(utf8(bytes(u32())));
                case 0x8c -> push(utf8(bytes(u8())));
                case 0x8d -> push(utf8(bytes(u64())));
                case 'V' -> push(PickleText.rawUnicodeEscape(line()));
                case 'T' -> push(py2String(bytes(s32len(at))));
                case 'U' -> push(py2String(bytes(u8())));
                case 'S' -> push(py2String(PickleText.quotedString(line(), () -> error("malformed STRING", at))));
                case 'B' -> push(bytes(u32()));
                case 'C' -> push(bytes(u8()));
                case 0x8e, 0x96 -> push(bytes(u64()));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'I' -> push(PickleText.intLine(line(), () -> error("malformed INT", at)));
                case 'J' -> push((long) le(4));
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | (u8() << 8)));
                case 'L' -> push(PickleText.longLine(line(), () -> error("malformed LONG", at)));
                case 0x8a -> push(longBytes(bytes(u8())));
                case 0x8b -> push(longBytes(bytes(s32len(at))));
                case 'F' -> push(PickleText.floatLine(line(), () -> error("malformed FLOAT", at)));
                case 'G' -> push(Double.longBitsToDouble(be8()));
                case 'p' -> memo.put(PickleText.index(line(), () -> error("malformed PUT", at)), peek(at));
                case 'q' -> memo.put((long) u8(), peek(at));
                case 'r' -> memo.put(u32(), peek(at));
                case 0x94 -> memo.put((long) memo.size(), peek(at));
                case 'g' -> push(memoGet(PickleText.index(line(), () -> error("malformed GET", at)), at));
                case 'h' -> push(memoGet(u8(), at));
                case 'j' -> push(memoGet(u32(), at));
                case 'c' -> { String m = line(); String n = line(); push(host.global(m, n)); }
                case 0x93 -> { Object n = pop(at); Object m = pop(at); push(host.global(str(m, at), str(n, at))); }
                case 'R' -> { PyTuple args = tuple(pop(at), at); push(host.call(pop(at), args)); }
                case 0x81 -> { PyTuple args = tuple(pop(at), at); push(host.call(pop(at), args)); }
                case 0x92 -> {
                    Object kw = pop(at);
                    PyTuple args = tuple(pop(at), at);
                    if (!lenient && !(kw instanceof Map<?, ?> m && m.isEmpty())) {
                        throw error("NEWOBJ_EX with keyword arguments, expected none", at);
                    }
                    push(host.call(pop(at), args));
                }
                case 'i' -> {
                    String m = line();
                    String n = line();
                    Object g = host.global(m, n);
                    push(host.call(g, new PyTuple(popMark(at).toArray())));
                }
                case 'o' -> {
                    List<Object> items = popMark(at);
                    if (items.isEmpty()) throw error("OBJ without a class", at);
                    push(host.call(items.get(0), new PyTuple(items.subList(1, items.size()).toArray())));
                }
                case 'b' -> { Object state = pop(at); host.build(peek(at), state); }
                case 'P' -> push(host.persistentLoad(line()));
                case 'Q' -> push(host.persistentLoad(pop(at)));
                default -> throw error(String.format("unsupported pickle opcode 0x%02x%s", op,
                        op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""), at);
            }
        }
    }

    // ---- stack ------------------------------------------------------------------------------

    private void push(Object o) {
        stack.add(o);
    }

    private int fence() {
        return marks.isEmpty() ? 0 : marks.peek();
    }

    private Object pop(int at) throws FormatException {
        if (stack.size() <= fence()) throw error("pickle stack underflow", at);
        return stack.remove(stack.size() - 1);
    }

    private Object peek(int at) throws FormatException {
        if (stack.size() <= fence()) throw error("pickle stack underflow", at);
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark(int at) throws FormatException {
        if (marks.isEmpty()) throw error("pickle MARK missing", at);
        int m = marks.pop();
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(long idx, int at) throws FormatException {
        if (!memo.containsKey(idx)) throw error("pickle memo has no entry " + idx, at);
        return memo.get(idx);
    }

    // ---- containers ---------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private void setItems(Object target, List<Object> kv, int at) throws FormatException {
        if (kv.size() % 2 != 0) throw error("odd number of dict items", at);
        for (int i = 0; i < kv.size(); i += 2) {
            String k = key(kv.get(i), at);
            if (target instanceof LinkedHashMap<?, ?> m) {
                ((Map<String, Object>) m).put(k, kv.get(i + 1));
            } else if (!host.setItem(target, k, kv.get(i + 1))) {
                throw error("cannot set a dict item on " + describe(target), at);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void append(Object target, List<Object> items, int at) throws FormatException {
        for (Object v : items) {
            if (target instanceof ArrayList<?> l && !(target instanceof PySet)) {
                ((ArrayList<Object>) l).add(v);
            } else if (!host.append(target, v)) {
                throw error("cannot append to " + describe(target), at);
            }
        }
    }

    private PySet set(Object o, int at) throws FormatException {
        if (o instanceof PySet s) return s;
        throw error("ADDITEMS on " + describe(o) + ", expected a set", at);
    }

    private PyTuple tuple(Object o, int at) throws FormatException {
        if (o instanceof PyTuple t) return t;
        throw error("call arguments are " + describe(o) + ", expected a tuple", at);
    }

    private String str(Object o, int at) throws FormatException {
        if (o instanceof String s) return s;
        throw error("STACK_GLOBAL names are " + describe(o) + ", expected strings", at);
    }

    /** A dict key as Python's {@code str()} would print it; Java maps here are keyed by strings. */
    private String key(Object k, int at) throws FormatException {
        if (k instanceof String s) return s;
        if (k == null) return "None";
        if (k instanceof Boolean b) return b ? "True" : "False";
        if (k instanceof Long || k instanceof BigInteger) return k.toString();
        if (k instanceof Double d) return PickleText.pythonFloat(d);
        if (k instanceof PyTuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) sb.append(i > 0 ? ", " : "").append(key(t.get(i), at));
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (lenient) return String.valueOf(k);
        throw error("dict key is " + describe(k) + ", expected a string or a number", at);
    }

    static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof PyTuple t) return "a tuple of " + t.size();
        if (o instanceof Global g) return "'" + g.qualified() + "'";
        if (o instanceof Map<?, ?>) return "a dict";
        if (o instanceof PySet) return "a set";
        if (o instanceof List<?>) return "a list";
        if (o instanceof String) return "a string";
        return "a " + o.getClass().getSimpleName();
    }

    // ---- reading --------------------------------------------------------------------------------

    private FormatException error(String what, int at) {
        return new FormatException(file, record + ": " + what + " at byte " + at
                + (lenient ? "" : " (corrupt or not a tensor file)"));
    }

    private void need(long n) throws FormatException {
        if (n < 0 || n > in.length - pos) {
            throw new FormatException(file, record + " ends early at byte " + pos + " (needs " + n
                    + " more bytes, has " + (in.length - pos) + "); the file may be truncated");
        }
    }

    private int u8() throws FormatException {
        need(1);
        return in[pos++] & 0xff;
    }

    private long le(int n) throws FormatException {
        need(n);
        long v = 0;
        for (int i = 0; i < n; i++) v |= (long) (in[pos + i] & 0xff) << (8 * i);
        pos += n;
        return n == 4 ? (int) v : v; // BININT is signed 32-bit
    }

    private long u32() throws FormatException {
        return le(4) & 0xffffffffL;
    }

    private int s32len(int at) throws FormatException {
        long n = le(4);
        if (n < 0) throw error("negative length " + n, at);
        return (int) n;
    }

    private long u64() throws FormatException {
        long n = le(8);
        if (n < 0) need(Long.MAX_VALUE);
        return n;
    }

    private long be8() throws FormatException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (in[pos + i] & 0xff);
        pos += 8;
        return v;
    }

    private byte[] bytes(long n) throws FormatException {
        need(n);
        byte[] b = Arrays.copyOfRange(in, pos, pos + (int) n);
        pos += (int) n;
        return b;
    }

    private String line() throws FormatException {
        int start = pos;
        while (pos < in.length && in[pos] != '\n') pos++;
        if (pos >= in.length) {
            throw new FormatException(file, record + " ends early inside a text line starting at byte " + start);
        }
        String s = new String(in, start, pos - start, StandardCharsets.ISO_8859_1);
        pos++;
        return s;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Python-2 byte strings: torch.load decodes them as UTF-8; fall back to Latin-1 if not UTF-8. */
    private static String py2String(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    /** LONG1/LONG4: little-endian two's complement. */
    private static Object longBytes(byte[] le) {
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        return PickleText.normalize(new BigInteger(be));
    }
}
