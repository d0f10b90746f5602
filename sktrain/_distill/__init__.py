"""Knowledge distillation: ``DistilledClassifier`` / ``DistilledRegressor``
train a small student on a teacher's softened predictions.

``targets.py`` makes the soft targets and expands rows so any student that
takes ``sample_weight`` minimises the soft cross-entropy; ``samplers.py``
draws synthetic inputs for the teacher to label; ``base.py`` is the fit
shared by both estimators; ``estimators.py`` holds the public classes.
"""
