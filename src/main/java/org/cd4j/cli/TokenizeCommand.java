package org.cd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cd4j.text.ClipTokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code cd4j tokenize}: prints, for each prompt, one JSON object
 * {@code {"prompt", "input_ids" (padded to 77), "unpadded"}} exactly as the Stable Diffusion
 * pipelines tokenize it.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenize prompts with a CLIP tokenizer; one JSON object per prompt.")
public final class TokenizeCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = "--tokenizer", paramLabel = "DIR", description = "Tokenizer folder (vocab.json, merges.txt).")
        Path tokenizer;
        @Option(names = "--model", paramLabel = "DIR|ORG/NAME",
                description = "Model folder or hub id; its tokenizer/ is used (from the hub, only the tokenizer is downloaded).")
        String model;
    }

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "One prompt.")
        String prompt;
        @Option(names = "--prompts-file", paramLabel = "FILE",
                description = "One prompt per line; a line starting with \" or { is JSON (a string, or an object with \"prompt\").")
        Path promptsFile;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--add-tokens", paramLabel = "T1+T2", description = "Tokens to add first, e.g. \"<new1>+<new2>\".")
    String addTokens;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        Path dir = source.tokenizer != null ? source.tokenizer
                : modelOptions.resolve(source.model, java.util.Set.of("tokenizer")).dir().resolve("tokenizer");
        if (!Files.isDirectory(dir)) {
            throw new UsageException((source.tokenizer != null ? "--tokenizer " : "--model ") + dir
                    + " is not a folder" + (source.model != null ? " (expected a tokenizer/ subfolder)" : ""));
        }
        ClipTokenizer tok = ClipTokenizer.load(dir);
        if (addTokens != null && !addTokens.isBlank()) {
            for (String t : addTokens.split("\\+")) {
                if (t.isEmpty()) throw new UsageException("--add-tokens has an empty token in '" + addTokens + "'");
                tok.addToken(t);
            }
        }
        List<String> prompts = input.prompt != null ? List.of(input.prompt) : readPrompts(input.promptsFile);
        ObjectMapper json = new ObjectMapper();
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (String p : prompts) {
            ObjectNode o = json.createObjectNode();
            o.put("prompt", p);
            o.set("input_ids", ids(json, tok.encode(p)));
            o.set("unpadded", ids(json, tok.encodeUnpadded(p)));
            out.println(json.writeValueAsString(o));
        }
        out.flush();
        return 0;
    }

    private static ArrayNode ids(ObjectMapper json, int[] ids) {
        ArrayNode a = json.createArrayNode();
        for (int id : ids) a.add(id);
        return a;
    }

    /** Reads a prompts file: plain lines, or JSON lines (a string or an object with "prompt"). */
    static List<String> readPrompts(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UsageException("--prompts-file " + file + " does not exist");
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        String[] lines = text.split("\n", -1);
        int n = lines.length;
        if (n > 0 && lines[n - 1].isEmpty()) n--; // the file's final newline ends the last line
        for (int i = 0; i < n; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.startsWith("\"") || line.startsWith("{")) {
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new UsageException(file + " line " + (i + 1) + ": invalid JSON (" + e.getOriginalMessage() + ")");
                }
                if (node.isTextual()) {
                    out.add(node.asText());
                } else if (node.isObject() && node.has("prompt") && node.get("prompt").isTextual()) {
                    out.add(node.get("prompt").asText());
                } else {
                    throw new UsageException(file + " line " + (i + 1) + ": expected a JSON string or an object with a \"prompt\" string");
                }
            } else {
                out.add(line);
            }
        }
        return out;
    }
}
