"""Grading a class: the rubric, the gradebook of a folder, the platforms' files, the class report, bundles.

The checker (`torchref.checker`) never imports this package.
"""
