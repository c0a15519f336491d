package org.cd4j.hub;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model repository on the Hugging Face hub, {@code org/name} (e.g.
 * {@code stabilityai/stable-diffusion-2-1-base}). Both parts follow the hub's own rule: letters,
 * digits, {@code -}, {@code _} and {@code .}, starting and ending with a letter or digit, no
 * {@code --} or {@code ..}, at most 96 characters in all. The single-name form of very old repos
 * ({@code gpt2}) is not accepted: a bare word on the command line is far more likely a
 * mistyped folder.
 */
public record RepoId(String org, String name) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?");

    public RepoId {
        if (!validPart(org) || !validPart(name) || org.length() + 1 + name.length() > 96) {
            throw new IllegalArgumentException("'" + org + "/" + name + "' is not a hub repository id (expected org/name:"
                    + " letters, digits, '-', '_' or '.', at most 96 characters, no '--' or '..')");
        }
    }

    /** The id in {@code text}, or empty when it is not of the form {@code org/name}. */
    public static Optional<RepoId> parse(String text) {
        if (text == null) return Optional.empty();
        int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/') || text.length() > 96) return Optional.empty();
        String org = text.substring(0, slash), name = text.substring(slash + 1);
        return validPart(org) && validPart(name) ? Optional.of(new RepoId(org, name)) : Optional.empty();
    }

    private static boolean validPart(String s) {
        return s != null && PART.matcher(s).matches() && !s.contains("--") && !s.contains("..") && !s.endsWith(".git");
    }

    /** The repository's folder in the hub cache: {@code models--org--name}. */
    public String cacheFolderName() {
        return "models--" + org + "--" + name;
    }

    @Override
    public String toString() {
        return org + "/" + name;
    }
}
