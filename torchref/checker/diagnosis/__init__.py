"""What the tutor says at the first wrong link, verified before it is said.

- `diagnosis`: the notes' chain, what a link's own line gives, the cause of a failing link;
- `mistakes`: the catalogue of known mistakes, and evaluating a formula on a case;
- `reconstruct`: the search for the formula a learner computed;
- `source`: the learner's source read for the line of a symbol, the layers written out, the keys.
"""
