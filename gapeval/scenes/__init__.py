"""Scenes: the flat-colour pictures of the built-in bank, drawn and read back.

This package owns everything about those pictures that is neither an item nor a verdict:

- :mod:`gapeval.scenes.palette`: the palette and the pixel quantiser;
- :mod:`gapeval.scenes.render`: the renderers (scenes, grids, clocks, flags, swatches, dice);
- :mod:`gapeval.scenes.scene`: the scene reader (objects, counts, spatial relations);
- :mod:`gapeval.scenes.grid`: the grid reader;
- :mod:`gapeval.scenes.clock`: the clock-hand readers.

The bank draws its items with it, the verifiers (:mod:`gapeval.scoring.verifiers`) read images with
it before passing or failing them, and the procedural respondent reads and draws with it. It imports
nothing of gapeval above it (no bank, scoring or adapters).
"""
