"""The hostile-input suite (issue 7): generated bodies, raw protocol cases, slow clients, races, store faults."""
