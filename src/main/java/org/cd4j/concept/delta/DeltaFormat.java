package org.cd4j.concept.delta;

import java.util.Locale;

/** The delta file formats cd4j reads ({@link DeltaFiles#load}) and writes ({@link DeltaFiles#save}). */
public enum DeltaFormat {
    /** cd4j's own {@code *.cd4j.safetensors} (read and write). */
    CD4J("cd4j"),
    /** adobe {@code delta.bin}, full or compressed (read and write). */
    ADOBE("adobe"),
    /** diffusers {@code pytorch_custom_diffusion_weights.*} + token files (read and write). */
    DIFFUSERS("diffusers"),
    /** CompVis {@code delta_epoch=N.ckpt}, full or compressed (read only). */
    COMPVIS("compvis");

    /** The name used on the command line ({@code --to}). */
    public final String id;

    DeltaFormat(String id) {
        this.id = id;
    }

    /** Parses a {@code --to} value. */
    public static DeltaFormat parse(String s) {
        for (DeltaFormat f : values()) if (f.id.equals(s.toLowerCase(Locale.ROOT))) return f;
        throw new IllegalArgumentException("unknown delta format '" + s + "' (expected cd4j, diffusers or adobe)");
    }
}
