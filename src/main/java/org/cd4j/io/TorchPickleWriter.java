package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code torch.save}-compatible files that {@code torch.load(f, weights_only=True)} reads
 * (torch 1.6 and later): a ZIP archive with records {@code archive/data.pkl} (a protocol-2 pickle),
 * {@code archive/byteorder} ({@code little}), one {@code archive/data/<n>} per tensor and
 * {@code archive/version} ({@code 3}), uncompressed and 64-byte aligned as torch writes them.
 *
 * <p>Input is the structure {@link TorchPickleReader} returns: {@code Map} (written as a plain
 * dict, keys {@code String} or integers, in iteration order; an empty map stays an empty dict, as
 * diffusers' {@code attn1.processor: {}}), {@code List}, {@code String}, integers,
 * {@code BigInteger}, {@code Double}/{@code Float}, {@code Boolean}, {@code null}, {@code byte[]}
 * and {@link Tensor}. Each tensor gets its own storage holding exactly its elements in C order
 * (a view of a larger tensor is not saved with the whole base tensor, unlike torch); the same
 * tensor object used twice is written once and shared.
 *
 * <p>{@code byte[]} values are pickled as CPython's protocol 2 does, {@code _codecs.encode(text,
 * 'latin1')}; torch's {@code weights_only} loader accepts that only in recent versions, and none
 * of the Custom Diffusion formats needs bytes.
 *
 * <p>The archive folder is named {@code archive}, as torch names it when saving to a stream (when
 * saving to a path it uses the file name; readers accept any). Files are written to a temporary
 * name and renamed, and an existing file is replaced only when asked.
 */
public final class TorchPickleWriter {
    private static final String PREFIX = "archive/";

    private TorchPickleWriter() {}

    /**
     * Writes {@code root} to a new file.
     *
     * @throws FileAlreadyExistsException when {@code path} exists
     */
    public static void write(Path path, Object root) throws IOException {
        write(path, root, false);
    }

    /**
     * Writes {@code root} to {@code path}, replacing an existing file only when {@code overwrite}.
     *
     * @throws FileAlreadyExistsException when {@code path} exists and {@code overwrite} is false
     * @throws IllegalArgumentException   when the structure holds a value that cannot be written
     */
    public static void write(Path path, Object root, boolean overwrite) throws IOException {
        write(path, root, overwrite, false);
    }

    /** As {@link #write(Path, Object, boolean)}; {@code forceZip64} exercises the large-file layout in tests. */
    static void write(Path path, Object root, boolean overwrite, boolean forceZip64) throws IOException {
        // Pickle first, in memory: it is small, and a structure we cannot write then fails before
        // any file is touched.
        List<Tensor> storages = new ArrayList<>();
        byte[] pickle = new Pickler(dense -> {
            storages.add(dense);
            return Integer.toString(storages.size() - 1);
        }).dump(root);
        try {
            AtomicFiles.write(path, overwrite, out -> {
                ZipStoreWriter zip = new ZipStoreWriter(out, forceZip64);
                zip.add(PREFIX + "data.pkl", pickle);
                zip.add(PREFIX + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < storages.size(); i++) zip.add(PREFIX + "data/" + i, storages.get(i));
                zip.add(PREFIX + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
                zip.finish();
            });
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(path.toString(), null,
                    "already exists; choose another name or allow overwriting (--overwrite)");
        }
    }
}
