"""Labelled questions and the pipeline's score on them: datasets, CMRC metrics, evaluation runs, calibration."""
