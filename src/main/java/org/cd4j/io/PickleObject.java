package org.cd4j.io;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * An opaque stand-in for a Python object that a lenient {@link TorchPickleReader} met but does not
 * construct (for example the Lightning callbacks or hyper-parameter objects beside
 * {@code state_dict} in a {@code .ckpt}). Nothing of the object's class is ever run: this only
 * records what the pickle said, so the rest of the file can still be read.
 *
 * <p>A bare reference to a class or function has {@code args() == null}; an object made by
 * calling one has its arguments, plus whatever state and items the pickle then set on it.
 */
public final class PickleObject {
    private final String module;
    private final String name;
    private final List<Object> args;
    private final Object state;
    private final Map<String, Object> dictItems;
    private final List<Object> listItems;

    PickleObject(String module, String name, List<Object> args, Object state,
                 Map<String, Object> dictItems, List<Object> listItems) {
        this.module = module;
        this.name = name;
        this.args = args == null ? null : Collections.unmodifiableList(args);
        this.state = state;
        this.dictItems = Collections.unmodifiableMap(dictItems);
        this.listItems = Collections.unmodifiableList(listItems);
    }

    /** Python module of the class or function, e.g. {@code pytorch_lightning.callbacks}. */
    public String module() {
        return module;
    }

    /** Its name within the module. */
    public String name() {
        return name;
    }

    /** {@code module.name}. */
    public String qualifiedName() {
        return module + "." + name;
    }

    /** The call's arguments, or null when this is a bare reference to the class or function. */
    public List<Object> args() {
        return args;
    }

    /** The state given by a pickle BUILD (often a dict of attributes), or null. */
    public Object state() {
        return state;
    }

    /** Items set on the object as on a dict (dict subclasses), in order. */
    public Map<String, Object> dictItems() {
        return dictItems;
    }

    /** Items appended to the object as to a list (list subclasses), in order. */
    public List<Object> listItems() {
        return listItems;
    }

    @Override
    public String toString() {
        return args == null ? "<pickled reference " + qualifiedName() + ">" : "<pickled " + qualifiedName() + " object>";
    }
}
