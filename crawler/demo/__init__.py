"""The fixture news web and the offline demo (``blockradar demo``)."""
