"""The build: read -> render -> link -> pages -> write -> search, one module per stage.

``build.build_site`` orders the stages and nothing else; ``options`` holds the values they
share (``BuildOptions``, ``BuildResult``), below every stage, so no stage imports the build.
"""
