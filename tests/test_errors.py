from site_builder.core.errors import ContentError, DeployError, NotesError


def test_content_error_names_file_and_line():
    err = ContentError("date 'soon' does not parse", "content/a.md", 3)
    assert str(err) == "content/a.md:3: date 'soon' does not parse"
    assert isinstance(err, NotesError)


def test_content_error_without_line():
    assert str(ContentError("not valid UTF-8", "content/b.md")) == "content/b.md: not valid UTF-8"


def test_deploy_error_says_how_to_fix():
    err = DeployError("bucket 'x' does not exist", "create it with `npx cdk deploy`")
    assert str(err) == "bucket 'x' does not exist (create it with `npx cdk deploy`)"
