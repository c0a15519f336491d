package org.cd4j.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CLIP byte-level BPE tokenizer of Stable Diffusion 1.x/2.x, in pure Java, giving the same ids
 * as Hugging Face transformers 4.34's slow {@code CLIPTokenizer} without {@code ftfy} (the path the
 * Python reference takes).
 *
 * <p>How text becomes ids:
 * <ol>
 *   <li>Added tokens and the special tokens (bos, eos, unk, pad) are cut out of the raw text by
 *       exact, case-sensitive match, leftmost first and longest first; each piece in between is
 *       tokenized on its own, so {@code "a<new1>dog"} gives {@code a</w> <new1> dog</w>}.
 *       HF's trie agrees except for a lookahead bug when added tokens overlap: with {@code b} and
 *       {@code abb} added it leaves {@code "abxb"} uncut; we cut {@code a b x b}. Tokens of the
 *       form {@code <...>} without an inner {@code <} cannot trigger it.</li>
 *   <li>Each piece is cleaned and lower-cased by {@link BasicTextCleaner}.</li>
 *   <li>CLIP's pattern {@code <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+}
 *       (Python {@code regex}, case-insensitive) splits it into words.</li>
 *   <li>Each word's UTF-8 bytes are mapped to printable characters (GPT-2's byte-to-unicode
 *       table), {@code </w>} is appended to the last one, and BPE merges the lowest-ranked adjacent
 *       pair until no ranked pair is left. Symbols missing from the vocabulary become unk.</li>
 *   <li>{@link #encode} frames the ids as the SD pipelines do: bos, at most
 *       {@code maxLength - 2} content ids, eos, then pad up to {@code maxLength}.</li>
 * </ol>
 *
 * <p>Where Hugging Face silently does something surprising, this class refuses instead: adding a
 * token that already exists and looking up an unknown token ({@link #requireId}) are errors, and
 * malformed files are reported with their path.
 *
 * <p>Instances are thread-safe: the vocabulary is immutable, added tokens are published as
 * immutable snapshots, and BPE results are cached in a bounded concurrent map.
 */
public final class ClipTokenizer {

    /** The begin-of-text token of CLIP. */
    public static final String START_OF_TEXT = "<|startoftext|>";
    /** The end-of-text token of CLIP, also its unk and (in SD 1.x) pad token. */
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** CLIP's context length, used when {@code tokenizer_config.json} does not give one. */
    public static final int DEFAULT_MAX_LENGTH = 77;

    private static final String END_OF_WORD = "</w>";
    // HF keeps at most this many merges: CLIP's 49,152-token budget minus 256 bytes and 2 specials.
    private static final int MAX_MERGES = 49152 - 256 - 2;
    // Prompts come from users (also over the web UI): cap the cache so it cannot grow without end.
    private static final int BPE_CACHE_LIMIT = 100_000;
    private static final char[] BYTE_TO_CHAR = byteToUnicode();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> vocab;
    private final String[] vocabTokens;
    private final Map<String, Integer> mergeRanks; // "first second" -> rank, as merges.txt writes it
    private final List<String> specialTokens;
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final int padId;
    private final int maxLength;
    private final Map<String, List<String>> bpeCache = new ConcurrentHashMap<>();
    private volatile AddedTokens added;

    private ClipTokenizer(Path dir, Map<String, Integer> vocab, String[] vocabTokens,
            Map<String, Integer> mergeRanks, SpecialTokens specials, int maxLength,
            List<String> restoredTokens) {
        this.vocab = vocab;
        this.vocabTokens = vocabTokens;
        this.mergeRanks = mergeRanks;
        this.maxLength = maxLength;
        this.specialTokens = List.copyOf(new LinkedHashSet<>(
                List.of(specials.bos, specials.eos, specials.unk, specials.pad)));
        this.added = AddedTokens.EMPTY.with(restoredTokens, vocabTokens.length, specialTokens);
        Path vocabFile = dir.resolve("vocab.json");
        this.bosId = specialId(specials.bos, "bos", vocabFile);
        this.eosId = specialId(specials.eos, "eos", vocabFile);
        this.unkId = specialId(specials.unk, "unk", vocabFile);
        this.padId = specialId(specials.pad, "pad", vocabFile);
        // CLIP's own BPE passes its two specials through whole when the pattern matches them.
        bpeCache.put(START_OF_TEXT, List.of(START_OF_TEXT));
        bpeCache.put(END_OF_TEXT, List.of(END_OF_TEXT));
    }

    /**
     * Loads a tokenizer folder as saved by Hugging Face: {@code vocab.json} and {@code merges.txt},
     * plus, when present, {@code tokenizer_config.json} and {@code special_tokens_map.json} (the
     * bos/eos/unk/pad strings and {@code model_max_length}) and the added tokens of
     * {@code added_tokens.json} or {@code tokenizer_config.json}'s {@code added_tokens_decoder}.
     *
     * @param dir the tokenizer folder (a model's {@code tokenizer/} subfolder)
     * @return the loaded tokenizer
     * @throws IllegalArgumentException when a file is missing or malformed; the message names the
     *                                  file and what was expected
     */
    public static ClipTokenizer load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("Tokenizer folder not found: " + dir
                    + " (expected a folder holding vocab.json and merges.txt)");
        }
        Path configFile = dir.resolve("tokenizer_config.json");
        Path specialsFile = dir.resolve("special_tokens_map.json");
        String[] vocabTokens = readVocab(dir.resolve("vocab.json"));
        Map<String, Integer> vocab = new HashMap<>(vocabTokens.length * 2);
        for (int id = 0; id < vocabTokens.length; id++) {
            vocab.put(vocabTokens[id], id);
        }
        Map<String, Integer> ranks = readMerges(dir.resolve("merges.txt"));

        JsonNode config = readJson(configFile, false);
        // CLIPTokenizer's defaults; special_tokens_map.json wins over tokenizer_config.json as in HF.
        SpecialTokens specials = new SpecialTokens(START_OF_TEXT, END_OF_TEXT, END_OF_TEXT, END_OF_TEXT)
                .overriddenBy(config, configFile)
                .overriddenBy(readJson(specialsFile, false), specialsFile);
        List<String> restored = savedAddedTokens(vocab, config, configFile, dir.resolve("added_tokens.json"));
        return new ClipTokenizer(dir, vocab, vocabTokens, ranks, specials, maxLength(config, configFile), restored);
    }

    /**
     * Adds a token to the vocabulary, like {@code tokenizer.add_tokens(token)}: it gets the next
     * id ({@link #size()} before the call) and from now on is cut out of text by exact match.
     *
     * @return the new token's id
     * @throws IllegalArgumentException if the token is empty or already exists (Hugging Face would
     *                                  silently add nothing)
     */
    public synchronized int addToken(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("Cannot add an empty token");
        }
        OptionalInt existing = tokenId(token);
        if (existing.isPresent()) {
            throw new IllegalArgumentException("Cannot add token '" + token
                    + "': it already exists in the tokenizer with id " + existing.getAsInt()
                    + "; choose a string that is not in the vocabulary, e.g. '<new1>'");
        }
        int id = size();
        added = added.with(List.of(token), vocabTokens.length, specialTokens);
        return id;
    }

    /** The added tokens in id order; the first has the id just past {@code vocab.json}'s last. */
    public List<String> addedTokens() {
        return added.tokens;
    }

    /** The number of ids: the vocabulary plus the added tokens, like {@code len(tokenizer)}. */
    public int size() {
        return vocabTokens.length + added.tokens.size();
    }

    /**
     * The id of a token string as it is stored (no {@code </w>} is appended), like the slow
     * tokenizer's {@code convert_tokens_to_ids}; added tokens included. This is how Custom
     * Diffusion looks up initializer tokens: {@code ktn} is 42170 in CLIP.
     */
    public OptionalInt tokenId(String token) {
        Integer id = added.ids.get(token);
        if (id == null) {
            id = vocab.get(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * Like {@link #tokenId} but an unknown token is an error. (Hugging Face would return the unk
     * id, which silently initialises an embedding from {@code <|endoftext|>}.)
     */
    public int requireId(String token) {
        return tokenId(token).orElseThrow(() -> new IllegalArgumentException("Token '" + token
                + "' is not in the tokenizer's vocabulary (" + size() + " tokens); note that tokens"
                + " ending a word are stored with '" + END_OF_WORD + "'"));
    }

    /** The token string of an id, from the vocabulary or the added tokens. */
    public String tokenOf(int id) {
        if (id >= 0 && id < vocabTokens.length) {
            return vocabTokens[id];
        }
        List<String> extra = added.tokens;
        if (id >= vocabTokens.length && id < vocabTokens.length + extra.size()) {
            return extra.get(id - vocabTokens.length);
        }
        throw new IllegalArgumentException("Token id " + id + " is out of range; expected 0.." + (size() - 1));
    }

    /** The id of the bos token. */
    public int bosId() {
        return bosId;
    }

    /** The id of the eos token. */
    public int eosId() {
        return eosId;
    }

    /** The id of the padding token (for SD 1.x the eos id; SD 2.x pads with {@code !}). */
    public int padId() {
        return padId;
    }

    /** The id that symbols missing from the vocabulary get. */
    public int unkId() {
        return unkId;
    }

    /** The length {@link #encode} pads and truncates to (77 for CLIP). */
    public int maxLength() {
        return maxLength;
    }

    /** bos, every content id, eos: no truncation, no padding; may be longer than {@link #maxLength}. */
    public int[] encodeUnpadded(String text) {
        int[] content = contentIds(text);
        int[] ids = new int[content.length + 2];
        ids[0] = bosId;
        System.arraycopy(content, 0, ids, 1, content.length);
        ids[ids.length - 1] = eosId;
        return ids;
    }

    /**
     * Exactly {@link #maxLength} ids, as the SD pipelines call the tokenizer (truncation on,
     * padding to max length): bos, the first {@code maxLength - 2} content ids, eos, then pad.
     */
    public int[] encode(String text) {
        int[] content = contentIds(text);
        int n = Math.min(content.length, maxLength - 2);
        int[] ids = new int[maxLength];
        Arrays.fill(ids, padId);
        ids[0] = bosId;
        System.arraycopy(content, 0, ids, 1, n);
        ids[n + 1] = eosId;
        return ids;
    }

    /** The content token strings (no bos/eos), as {@code tokenizer.tokenize(text)} gives them. */
    public List<String> tokenize(String text) {
        return tokenize(text, added);
    }

    private int[] contentIds(String text) {
        AddedTokens snapshot = added; // one snapshot, so a concurrent addToken cannot split a call
        List<String> tokens = tokenize(text, snapshot);
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            String token = tokens.get(i);
            Integer id = snapshot.ids.get(token);
            if (id == null) {
                id = vocab.getOrDefault(token, unkId);
            }
            ids[i] = id;
        }
        return ids;
    }

    private List<String> tokenize(String text, AddedTokens snapshot) {
        Objects.requireNonNull(text, "text");
        List<String> tokens = new ArrayList<>();
        int pieceStart = 0;
        for (int i = 0; i < text.length(); ) {
            String match = snapshot.matchAt(text, i);
            if (match == null) {
                i += Character.charCount(text.codePointAt(i));
                continue;
            }
            tokenizePiece(text.substring(pieceStart, i), tokens);
            tokens.add(match);
            i += match.length();
            pieceStart = i;
        }
        tokenizePiece(text.substring(pieceStart), tokens);
        return tokens;
    }

    /** Text without added tokens: clean, split by the CLIP pattern, BPE each word. */
    private void tokenizePiece(String piece, List<String> out) {
        if (piece.isEmpty()) {
            return;
        }
        for (String word : ClipPattern.split(BasicTextCleaner.clean(piece))) {
            byte[] utf8 = word.getBytes(StandardCharsets.UTF_8);
            char[] mapped = new char[utf8.length];
            for (int i = 0; i < utf8.length; i++) {
                mapped[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
            }
            out.addAll(bpe(new String(mapped)));
        }
    }

    /** HF's {@code CLIPTokenizer.bpe}: merge the lowest-ranked pair, all its occurrences left to right. */
    private List<String> bpe(String word) {
        List<String> cached = bpeCache.get(word);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = new ArrayList<>(word.length());
        int last = word.length() - 1;
        for (int i = 0; i < last; i++) {
            symbols.add(String.valueOf(word.charAt(i)));
        }
        symbols.add(word.charAt(last) + END_OF_WORD);
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = symbols.get(i);
                    second = symbols.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size() - 1);
            for (int i = 0; i < symbols.size(); ) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(symbols.get(i));
                    i++;
                }
            }
            symbols = merged;
        }
        List<String> result = List.copyOf(symbols);
        if (bpeCache.size() < BPE_CACHE_LIMIT) {
            bpeCache.putIfAbsent(word, result);
        }
        return result;
    }

    private int specialId(String token, String role, Path vocabFile) {
        return tokenId(token).orElseThrow(() -> bad(vocabFile, "there is no entry for the " + role
                + " token '" + token + "'; expected it in vocab.json or among the added tokens"));
    }

    /**
     * GPT-2's byte-to-unicode table: the 188 printable Latin-1 bytes map to themselves, the other
     * 68 (controls, space, NBSP, soft hyphen) in increasing order to U+0100 onwards, so that no BPE
     * symbol holds whitespace or a control character. Space becomes {@code Ġ} (U+0120).
     */
    private static char[] byteToUnicode() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) next++;
        }
        return table;
    }

    /** vocab.json: a JSON object from token to id, the ids being 0..n-1, each once. */
    private static String[] readVocab(Path file) {
        JsonNode json = readJson(file, true);
        String[] tokens = new String[json.size()];
        for (Map.Entry<String, JsonNode> e : json.properties()) {
            int id = intValue(e.getValue(), file, "the id of token '" + e.getKey() + "'");
            if (id < 0 || id >= tokens.length) {
                throw bad(file, "token '" + e.getKey() + "' has id " + id
                        + "; expected the ids 0.." + (tokens.length - 1) + ", one per entry");
            }
            if (tokens[id] != null) {
                throw bad(file, "id " + id + " is given to both '" + tokens[id] + "' and '" + e.getKey()
                        + "'; expected each id once");
            }
            tokens[id] = e.getKey();
        }
        return tokens;
    }

    /**
     * The tokens a saved tokenizer had added, from {@code added_tokens.json} (older HF) and
     * {@code tokenizer_config.json}'s {@code added_tokens_decoder} (4.34 on), in id order. Entries
     * that merely repeat a vocab.json token (the specials) are skipped; the rest must continue
     * vocab.json's ids without a gap, since ids are positions in the embedding table.
     */
    private static List<String> savedAddedTokens(Map<String, Integer> vocab, JsonNode config,
            Path configFile, Path addedFile) {
        TreeMap<Integer, SavedToken> saved = new TreeMap<>();
        JsonNode addedJson = readJson(addedFile, false);
        if (addedJson != null) {
            for (Map.Entry<String, JsonNode> e : addedJson.properties()) {
                putSaved(saved, intValue(e.getValue(), addedFile, "the id of '" + e.getKey() + "'"),
                        e.getKey(), addedFile);
            }
        }
        JsonNode decoder = config == null ? null : config.get("added_tokens_decoder");
        if (decoder != null && !decoder.isNull()) {
            if (!decoder.isObject()) {
                throw bad(configFile, "added_tokens_decoder is " + decoder + "; expected an object mapping ids to tokens");
            }
            for (Map.Entry<String, JsonNode> e : decoder.properties()) {
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw bad(configFile, "added_tokens_decoder has the key '" + e.getKey() + "'; expected an integer id");
                }
                putSaved(saved, id, tokenString(e.getValue(), configFile, "added_tokens_decoder." + e.getKey()), configFile);
            }
        }
        List<String> restored = new ArrayList<>();
        for (Map.Entry<Integer, SavedToken> e : saved.entrySet()) {
            String token = e.getValue().token();
            Integer inVocab = vocab.get(token);
            if (inVocab != null && inVocab.equals(e.getKey())) {
                continue;
            }
            int expected = vocab.size() + restored.size();
            if (inVocab != null || e.getKey() != expected || token.isEmpty() || restored.contains(token)) {
                throw bad(e.getValue().file(), "added token '" + token + "' has id " + e.getKey()
                        + "; expected a new, non-empty token continuing vocab.json's ids at " + expected);
            }
            restored.add(token);
        }
        return restored;
    }

    /**
     * Reads merges as HF does: {@code read().strip().split("\n")[1 : 1 + MAX_MERGES]}. The first
     * line is the {@code #version} header and is skipped whatever it holds; line i + 1 has rank i.
     */
    private static Map<String, Integer> readMerges(Path file) {
        String text = readText(file);
        // Python's text mode turns CRLF and lone CR into LF before HF splits lines.
        text = text.replace("\r\n", "\n").replace('\r', '\n');
        int start = 0;
        int end = text.length();
        while (start < end && BasicTextCleaner.isPythonSpace(text.codePointAt(start))) {
            start++;
        }
        while (end > start && BasicTextCleaner.isPythonSpace(text.charAt(end - 1))) {
            end--;
        }
        String[] lines = text.substring(start, end).split("\n", -1);
        Map<String, Integer> ranks = new HashMap<>(Math.min(lines.length, MAX_MERGES + 1) * 2);
        for (int i = 1; i < lines.length && i <= MAX_MERGES; i++) {
            List<String> pair = BasicTextCleaner.splitPythonWhitespace(lines[i]);
            if (pair.size() != 2) {
                throw bad(file, "line " + (i + 1) + " is '" + lines[i]
                        + "'; expected two symbols separated by a space");
            }
            // A repeated pair keeps its later rank, as Python's dict(zip(merges, ranks)) does.
            ranks.put(pair.get(0) + " " + pair.get(1), i - 1);
        }
        return ranks;
    }

    private static int maxLength(JsonNode config, Path file) {
        JsonNode node = config == null ? null : config.get("model_max_length");
        if (node == null || node.isNull()) {
            return DEFAULT_MAX_LENGTH;
        }
        if (node.isNumber() && node.doubleValue() > Integer.MAX_VALUE) {
            // HF writes int(1e30) for "no limit known"; CLIP's position table holds 77.
            return DEFAULT_MAX_LENGTH;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 2) {
            throw bad(file, "model_max_length is " + node + "; expected an integer of at least 2 (bos + eos)");
        }
        return node.intValue();
    }

    private static void putSaved(TreeMap<Integer, SavedToken> saved, int id, String token, Path file) {
        SavedToken before = saved.putIfAbsent(id, new SavedToken(token, file));
        if (before != null && !before.token().equals(token)) {
            throw bad(file, "id " + id + " is given to both '" + before.token() + "' and '" + token + "'");
        }
    }

    private record SavedToken(String token, Path file) {
    }

    /** A token field: a plain string or an AddedToken object with a string {@code content}. */
    private static String tokenString(JsonNode node, Path file, String field) {
        if (node.isTextual()) {
            return node.textValue();
        }
        JsonNode content = node.get("content");
        if (node.isObject() && content != null && content.isTextual()) {
            return content.textValue();
        }
        throw bad(file, field + " is " + node + "; expected a string or an object with a string \"content\"");
    }

    private static int intValue(JsonNode node, Path file, String what) {
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw bad(file, what + " is " + node + "; expected an integer");
        }
        return node.intValue();
    }

    /** Parses a JSON object file; an absent optional file gives null. */
    private static JsonNode readJson(Path file, boolean required) {
        if (!required && !Files.exists(file)) {
            return null;
        }
        String text = readText(file);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw bad(file, "it is not valid JSON (" + e.getOriginalMessage() + "); expected a JSON object");
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "expected a JSON object" + (required ? " mapping each token to its integer id" : ""));
        }
        return root;
    }

    private static String readText(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("Tokenizer file not found: " + file
                    + " (expected vocab.json and merges.txt of a CLIP tokenizer)");
        }
        try {
            // A strict decoder: Python's open(encoding="utf-8") fails on bad bytes too.
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw bad(file, "it is not valid UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read tokenizer file " + file + ": " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException bad(Path file, String problem) {
        return new IllegalArgumentException("Invalid tokenizer file " + file + ": " + problem);
    }

    /** The bos/eos/unk/pad strings, read from the HF config files over CLIPTokenizer's defaults. */
    private record SpecialTokens(String bos, String eos, String unk, String pad) {

        SpecialTokens overriddenBy(JsonNode json, Path file) {
            if (json == null) {
                return this;
            }
            return new SpecialTokens(field(json, "bos_token", bos, file), field(json, "eos_token", eos, file),
                    field(json, "unk_token", unk, file), field(json, "pad_token", pad, file));
        }

        // An explicit null counts as absent: HF would then refuse to pad, we keep CLIP's default.
        private static String field(JsonNode json, String name, String fallback, Path file) {
            JsonNode node = json.get(name);
            return node == null || node.isNull() ? fallback : tokenString(node, file, name);
        }
    }

    /**
     * An immutable snapshot of the added tokens and of every string cut out of text before
     * cleaning (specials and added tokens), longest first so the first hit at a position is the
     * longest one, as HF's trie prefers. Replaced whole on {@link #addToken}, so readers need no lock.
     */
    private record AddedTokens(List<String> tokens, Map<String, Integer> ids, List<String> cutOut,
            Set<Character> firstChars) {

        static final AddedTokens EMPTY = new AddedTokens(List.of(), Map.of(), List.of(), Set.of());

        AddedTokens with(List<String> more, int vocabSize, List<String> specials) {
            List<String> all = new ArrayList<>(tokens);
            all.addAll(more);
            Map<String, Integer> newIds = new HashMap<>();
            for (int i = 0; i < all.size(); i++) {
                newIds.put(all.get(i), vocabSize + i);
            }
            Set<String> cut = new LinkedHashSet<>(specials);
            cut.addAll(all);
            cut.remove(""); // an empty special would match everywhere; HF's trie ignores it too
            List<String> byLength = new ArrayList<>(cut);
            byLength.sort(Comparator.comparingInt(String::length).reversed());
            Set<Character> first = new HashSet<>();
            for (String s : byLength) {
                first.add(s.charAt(0));
            }
            return new AddedTokens(List.copyOf(all), Map.copyOf(newIds), List.copyOf(byLength), Set.copyOf(first));
        }

        String matchAt(String text, int index) {
            if (!firstChars.contains(text.charAt(index))) {
                return null;
            }
            for (String token : cutOut) {
                if (text.startsWith(token, index)) {
                    return token;
                }
            }
            return null;
        }
    }

    /**
     * CLIP's pre-tokenization pattern, written out by hand so its Python {@code regex} semantics
     * are explicit: {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}
     * with IGNORECASE, matched by {@code findall} (alternatives tried in order at each position,
     * positions nothing matches are skipped). It runs on cleaned text, whose only whitespace is
     * the single space.
     */
    static final class ClipPattern {

        private static final String[] CONTRACTIONS = {"s", "t", "re", "ve", "m", "ll", "d"};
        // U+0345 (combining ypogegrammeni) case-folds to the letter iota, so under IGNORECASE
        // Python's regex counts it neither as a letter nor in [^\s\p{L}\p{N}]: nothing matches it.
        private static final int YPOGEGRAMMENI = 0x0345;

        private ClipPattern() {
        }

        static List<String> split(String text) {
            List<String> words = new ArrayList<>();
            int i = 0;
            while (i < text.length()) {
                int cp = text.codePointAt(i);
                int end = literalEnd(text, i, START_OF_TEXT);
                if (end < 0) {
                    end = literalEnd(text, i, END_OF_TEXT);
                }
                for (int c = 0; end < 0 && c < CONTRACTIONS.length; c++) {
                    end = literalEnd(text, i, "'" + CONTRACTIONS[c]);
                }
                if (end < 0) {
                    if (Character.isLetter(cp)) {
                        end = i;
                        while (end < text.length() && Character.isLetter(text.codePointAt(end))) {
                            end += Character.charCount(text.codePointAt(end));
                        }
                    } else if (isNumber(cp)) {
                        end = i + Character.charCount(cp);
                    } else if (isOther(cp)) {
                        end = i;
                        while (end < text.length() && isOther(text.codePointAt(end))) {
                            end += Character.charCount(text.codePointAt(end));
                        }
                    }
                }
                if (end < 0) {
                    i += Character.charCount(cp);
                } else {
                    words.add(text.substring(i, end));
                    i = end;
                }
            }
            return words;
        }

        /** Case-insensitive literal match (ASCII literal); the end index or -1. */
        private static int literalEnd(String text, int start, String literal) {
            int i = start;
            for (int k = 0; k < literal.length(); k++) {
                if (i >= text.length()) {
                    return -1;
                }
                int cp = text.codePointAt(i);
                char want = literal.charAt(k);
                // Simple case folding maps only ASCII case pairs and U+017F (long s) onto these letters.
                boolean same = cp == want || (want >= 'a' && want <= 'z' && cp == want - 32)
                        || (want == 's' && cp == 0x017F);
                if (!same) {
                    return -1;
                }
                i += Character.charCount(cp);
            }
            return i;
        }

        private static boolean isNumber(int cp) {
            int type = Character.getType(cp);
            return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                    || type == Character.OTHER_NUMBER;
        }

        private static boolean isOther(int cp) {
            return !BasicTextCleaner.isPythonSpace(cp) && !Character.isLetter(cp) && !isNumber(cp)
                    && cp != YPOGEGRAMMENI;
        }
    }
}
