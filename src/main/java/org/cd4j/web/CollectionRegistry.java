package org.cd4j.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local picture collections the server was started with ({@code --collection DIR},
 * repeatable), for offline retrieval of class pictures. As with models, requests name a
 * collection only by id (its folder name), never by path, so no request can make the server read
 * a folder it was not given.
 */
public final class CollectionRegistry {
    /** One collection: its id and folder. */
    public record Collection(String id, Path dir) {}

    private final Map<String, Collection> collections = new LinkedHashMap<>();

    private CollectionRegistry() {}

    /**
     * Checks that every folder exists and assigns ids.
     *
     * @throws IllegalArgumentException naming the flag and folder when one is not a folder
     */
    public static CollectionRegistry of(List<Path> dirs) {
        CollectionRegistry r = new CollectionRegistry();
        for (Path d : dirs) {
            Path dir = d.toAbsolutePath().normalize();
            if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--collection " + d + " is not a folder (expected captioned pictures)");
            String id = ModelRegistry.folderId(dir.getFileName() == null ? "" : dir.getFileName().toString(), "c", r.collections.keySet());
            r.collections.put(id, new Collection(id, dir));
        }
        return r;
    }

    /** The collection with this id (400 when unknown: the id came from a request). */
    public Collection get(String id) {
        Collection c = id == null ? null : collections.get(id);
        if (c == null) {
            if (collections.isEmpty()) throw ApiException.bad("the server has no picture collection; start it with cd4j serve --collection DIR");
            throw ApiException.bad("unknown collection '" + Workdir.shorten(id) + "' (available: " + String.join(", ", collections.keySet()) + ")");
        }
        return c;
    }

    public List<Collection> all() {
        return new ArrayList<>(collections.values());
    }

    /** The collections as the page lists them (ids only, no server paths). */
    public ArrayNode toJson() {
        ArrayNode a = Json.array();
        for (Collection c : collections.values()) {
            ObjectNode o = a.addObject();
            o.put("id", c.id());
        }
        return a;
    }
}
