package org.cd4j.sched;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The sampler registry: command-line name → implementation. Adding a sampler is one new class
 * plus one {@link #register} line in the static block below; nothing else changes.
 */
public final class Samplers {
    /**
     * One registered sampler.
     *
     * @param name          command-line name
     * @param diffusersClass the diffusers scheduler class it reproduces ({@code _class_name})
     * @param takesEta      whether it uses {@code --eta}
     * @param takesKarras   whether it reads {@code use_karras_sigmas}
     * @param factory       builds it from a config (overrides applied) and the eta (0 when not given)
     */
    public record Entry(String name, String diffusersClass, boolean takesEta, boolean takesKarras,
                        BiFunction<SchedulerConfig, Double, Sampler> factory) {}

    private static final Map<String, Entry> REGISTRY = new LinkedHashMap<>();

    static {
        register(new Entry("ddpm", "DDPMScheduler", false, false, (c, eta) -> new DdpmSampler(c)));
        register(new Entry("ddim", "DDIMScheduler", true, false, DdimSampler::new));
        register(new Entry("pndm", "PNDMScheduler", false, false, (c, eta) -> new PndmSampler(c)));
        register(new Entry("euler", "EulerDiscreteScheduler", false, true, (c, eta) -> new EulerSampler(c)));
        register(new Entry("euler-a", "EulerAncestralDiscreteScheduler", false, false, (c, eta) -> new EulerAncestralSampler(c)));
        register(new Entry("dpm++2m", "DPMSolverMultistepScheduler", false, true, (c, eta) -> new DpmSolverMultistepSampler(c)));
    }

    private Samplers() {}

    private static void register(Entry e) {
        if (REGISTRY.putIfAbsent(e.name(), e) != null) throw new IllegalStateException("sampler '" + e.name() + "' registered twice");
    }

    /** The command-line names, in registration order. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    /** The registered samplers by name. */
    public static Map<String, Entry> entries() {
        return Collections.unmodifiableMap(REGISTRY);
    }

    /** A sampler from the model's scheduler config, no overrides. */
    public static Sampler create(String name, SchedulerConfig cfg) {
        return create(name, cfg, SamplerOptions.none());
    }

    /**
     * A sampler by command-line name, built from the model's scheduler config the way diffusers'
     * {@code SamplerClass.from_config(config, **overrides)} builds it.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones), an
     *                                  override the sampler does not take, or a bad config value
     */
    public static Sampler create(String name, SchedulerConfig cfg, SamplerOptions options) {
        Entry e = REGISTRY.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown scheduler '" + name + "' (expected one of " + String.join(", ", names()) + ")");
        }
        if (options.eta() != null && options.eta() != 0 && !e.takesEta()) {
            throw new IllegalArgumentException("--eta applies to the ddim scheduler only, not to '" + name + "'");
        }
        if (Boolean.TRUE.equals(options.useKarrasSigmas()) && !e.takesKarras()) {
            throw new IllegalArgumentException("Karras sigmas are not available for '" + name + "' (use one of "
                    + String.join(", ", REGISTRY.values().stream().filter(Entry::takesKarras).map(Entry::name).toList()) + ")");
        }
        double eta = options.eta() == null ? 0.0 : options.eta();
        return e.factory().apply(options.applyTo(cfg), eta);
    }

    /** The command-line name of the sampler that reproduces the config's own {@code _class_name}, if registered. */
    public static Optional<String> nameForConfig(SchedulerConfig cfg) {
        if (cfg.className() == null) return Optional.empty();
        return REGISTRY.values().stream().filter(e -> e.diffusersClass().equals(cfg.className())).map(Entry::name).findFirst();
    }
}
