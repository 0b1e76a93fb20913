"""A believable demo organization, and scripted paths that drive cases through the door."""
