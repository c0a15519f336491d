package org.cd4j.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Server-side things the page knows only by a short id made from a folder name (models,
 * picture collections): ids made unique in start-up order, and lookups that answer a request's
 * unknown id with a 400 naming what is available, so no request can name a path.
 *
 * @param <T> what is registered
 */
final class IdRegistry<T> {
    private final Map<String, T> items = new LinkedHashMap<>();
    private final String kind;
    private final String noneMessage;

    /**
     * @param kind        what an item is called in messages ("model", "collection")
     * @param noneMessage the answer when the server has none, saying how to start it with one
     */
    IdRegistry(String kind, String noneMessage) {
        this.kind = kind;
        this.noneMessage = noneMessage;
    }

    /** Registers the item {@code make} builds for the id derived from {@code name}; returns it. */
    T add(String name, String prefix, Function<String, T> make) {
        String id = folderId(name, prefix, items.keySet());
        T item = make.apply(id);
        items.put(id, item);
        return item;
    }

    /**
     * The id a folder is known by on the page: its name with anything but letters, digits,
     * {@code _ . -} replaced (and {@code prefix} put first if it would not start with a letter
     * or digit), made unique against {@code taken} by {@code -2}, {@code -3} ….
     */
    static String folderId(String name, String prefix, Set<String> taken) {
        String base = name.replaceAll("[^A-Za-z0-9_.-]", "_");
        if (base.isEmpty() || !Character.isLetterOrDigit(base.charAt(0))) base = prefix + base;
        String id = base;
        for (int i = 2; taken.contains(id); i++) id = base + "-" + i;
        return id;
    }

    /** The item with this id (400 when unknown: the id came from a request). */
    T get(String id) {
        T item = id == null ? null : items.get(id);
        if (item == null) {
            if (items.isEmpty()) throw ApiException.bad(noneMessage);
            throw ApiException.bad("unknown " + kind + " '" + Workdir.shorten(id) + "' (available: " + String.join(", ", items.keySet()) + ")");
        }
        return item;
    }

    /** Every item, in registration order. */
    List<T> all() {
        return new ArrayList<>(items.values());
    }
}
