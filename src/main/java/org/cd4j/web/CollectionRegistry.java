package org.cd4j.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The local picture collections the server was started with ({@code --collection DIR},
 * repeatable), for offline retrieval of class pictures. As with models, requests name a
 * collection only by id (its folder name), never by path, so no request can make the server read
 * a folder it was not given.
 */
public final class CollectionRegistry {
    /** One collection: its id and folder. */
    public record Collection(String id, Path dir) {}

    private final IdRegistry<Collection> collections = new IdRegistry<>("collection",
            "the server has no picture collection; start it with cd4j serve --collection DIR");

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
            r.collections.add(dir.getFileName() == null ? "" : dir.getFileName().toString(), "c", id -> new Collection(id, dir));
        }
        return r;
    }

    /** The collection with this id (400 when unknown: the id came from a request). */
    public Collection get(String id) {
        return collections.get(id);
    }

    public List<Collection> all() {
        return collections.all();
    }

    /** The collections as the page lists them (ids only, no server paths). */
    public ArrayNode toJson() {
        ArrayNode a = Json.array();
        for (Collection c : collections.all()) {
            ObjectNode o = a.addObject();
            o.put("id", c.id());
        }
        return a;
    }
}
