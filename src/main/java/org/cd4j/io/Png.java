package org.cd4j.io;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PNG files with text chunks: generated images carry their generation parameters (prompt,
 * seed, sampler ...) as {@code tEXt}/{@code iTXt} entries, so an image alone says how to make it
 * again.
 */
public final class Png {
    private Png() {}

    /**
     * Writes {@code image} with one text chunk per entry (UTF-8 {@code iTXt}, so prompts with any
     * characters survive), atomically: a temporary file in the same folder renamed into place.
     * An existing file is replaced only when {@code overwrite} is set.
     */
    public static void write(Path path, BufferedImage image, Map<String, String> text, boolean overwrite) throws IOException {
        AtomicFiles.write(path, overwrite, out -> write(out, image, text));
    }

    /** Writes the PNG bytes to a stream. */
    public static void write(OutputStream out, BufferedImage image, Map<String, String> text) throws IOException {
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("png");
        if (!it.hasNext()) throw new IOException("no PNG writer available in this JVM");
        ImageWriter writer = it.next();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(image);
            IIOMetadata meta = writer.getDefaultImageMetadata(type, writer.getDefaultWriteParam());
            if (!text.isEmpty()) {
                String format = "javax_imageio_png_1.0";
                IIOMetadataNode root = new IIOMetadataNode(format);
                IIOMetadataNode itxt = new IIOMetadataNode("iTXt");
                for (Map.Entry<String, String> e : text.entrySet()) {
                    IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
                    entry.setAttribute("keyword", e.getKey());
                    entry.setAttribute("compressionFlag", "FALSE");
                    entry.setAttribute("compressionMethod", "0");
                    entry.setAttribute("languageTag", "");
                    entry.setAttribute("translatedKeyword", "");
                    entry.setAttribute("text", e.getValue());
                    itxt.appendChild(entry);
                }
                root.appendChild(itxt);
                meta.mergeTree(format, root);
            }
            writer.write(null, new IIOImage(image, null, meta), writer.getDefaultWriteParam());
        } finally {
            writer.dispose();
        }
    }

    /** Reads the text chunks (tEXt, zTXt and iTXt) of a PNG file. */
    public static Map<String, String> readText(Path path) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException(path + " is not an image");
            javax.imageio.ImageReader r = readers.next();
            try {
                r.setInput(in);
                IIOMetadata meta = r.getImageMetadata(0);
                org.w3c.dom.Node root = meta.getAsTree("javax_imageio_png_1.0");
                for (org.w3c.dom.Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                    String name = n.getNodeName();
                    if (!name.equals("tEXt") && !name.equals("iTXt") && !name.equals("zTXt")) continue;
                    for (org.w3c.dom.Node e = n.getFirstChild(); e != null; e = e.getNextSibling()) {
                        org.w3c.dom.NamedNodeMap a = e.getAttributes();
                        String key = a.getNamedItem("keyword").getNodeValue();
                        org.w3c.dom.Node v = a.getNamedItem(name.equals("tEXt") ? "value" : "text");
                        out.put(key, v == null ? "" : v.getNodeValue());
                    }
                }
            } finally {
                r.dispose();
            }
        }
        return out;
    }

    /** Whether a file name looks like a PNG. */
    public static boolean isPngName(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png");
    }

    static void ensureParent(Path p) throws IOException {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
    }
}
