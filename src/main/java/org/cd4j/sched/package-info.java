/**
 * Noise schedules and samplers, reproducing diffusers 0.21.4's schedulers on the CPU in float32.
 *
 * <ul>
 * <li>{@link org.cd4j.sched.SchedulerConfig}: a model's {@code scheduler_config.json}; absent
 *     fields resolve to each sampler's own diffusers defaults, as {@code from_config} does.</li>
 * <li>{@link org.cd4j.sched.NoiseSchedule}: betas, alphas_cumprod (bit-identical to diffusers),
 *     {@code add_noise}, {@code get_velocity} and the training target.</li>
 * <li>{@link org.cd4j.sched.Sampler}: the one sampling contract; {@link org.cd4j.sched.Samplers}
 *     creates them by command-line name (ddpm, ddim, pndm, euler, euler-a, dpm++2m) with
 *     {@link org.cd4j.sched.SamplerOptions} overrides.</li>
 * <li>{@link org.cd4j.sched.NoiseSource}: per-step Gaussian noise, from a seeded
 *     {@link org.cd4j.nn.Rng} (diffusers-compatible) or injected in tests.</li>
 * </ul>
 */
package org.cd4j.sched;
