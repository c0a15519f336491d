package org.cd4j.world;

import java.awt.image.BufferedImage;

/**
 * One training picture of the world: the 64×64 RGB image, its caption, and the scene it shows.
 */
public record Sample(BufferedImage image, String caption, Scene scene) {}
