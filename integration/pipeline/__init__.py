"""The hub's stages as plain functions over the hub store: land, standardize, resolve,
survive, publish. Dagster assets call these and nothing else."""
