"""Interface strings of third-party apps that ship without (complete) Chinese catalogs.

Listed here only so ``makemessages`` collects them into our zh_Hans catalog (the Chinese
is in ``locale/pending/h2.json``); nothing imports this module at run time. Our catalog
comes first in the lookup (``LOCALE_PATHS``), so an entry here also overrides a package's
own translation. ``tests/backoffice/test_translations.py`` fails if one of these shows in
English on a Chinese page. django-unfold's own screens: ``unfold_i18n.py``.
"""

from django.utils.translation import gettext_noop, ngettext, pgettext_lazy

THIRD_PARTY_STRINGS = (
    # django-axes (登录尝试、失败记录、访问日志)
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Cleaned up {count} expired access attempts."),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop(
        "Account locked: too many login attempts. Contact an admin to unlock your account."
    ),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    # django-q2 (任务、定时任务、队列)
    gettext_noop("Resubmit selected tasks to queue"),
    gettext_noop("Time Taken"),
    gettext_noop("Short result"),
    gettext_noop("success"),
    gettext_noop("last_run"),
    gettext_noop("Starting"),
    gettext_noop("Working"),
    gettext_noop("Idle"),
    gettext_noop("Stopped"),
    gettext_noop("Stopping"),
    gettext_noop("Task id"),
    gettext_noop("32-character task identifier."),
    gettext_noop("Optional human-readable name for lookup and display."),
    gettext_noop("Function"),
    gettext_noop("Dotted import path to the callable, e.g. myapp.tasks.job."),
    gettext_noop("Hook"),
    gettext_noop("Optional dotted path to a callback that receives the task result."),
    gettext_noop("Arguments"),
    gettext_noop("Pickled positional arguments (tuple)."),
    gettext_noop("Keyword arguments"),
    gettext_noop("Pickled keyword arguments (dict)."),
    gettext_noop("Result"),
    gettext_noop("Pickled return value or error payload."),
    gettext_noop("Group"),
    gettext_noop("Optional group id to aggregate related tasks."),
    gettext_noop("Cluster"),
    gettext_noop("Name of the cluster that executed this task."),
    gettext_noop("Started at"),
    gettext_noop("When the worker started executing the task."),
    gettext_noop("Stopped at"),
    gettext_noop("When the worker finished (success or failure)."),
    gettext_noop("Success"),
    gettext_noop("False if the task raised an exception or timed out."),
    gettext_noop("Attempt count"),
    gettext_noop("How many times execution was attempted."),
    gettext_noop("Task"),
    gettext_noop("Tasks"),
    gettext_noop("Successful task"),
    gettext_noop("Successful tasks"),
    gettext_noop("Failed task"),
    gettext_noop("Failed tasks"),
    gettext_noop("Optional label to identify this schedule in the admin."),
    gettext_noop("e.g. module.tasks.function"),
    gettext_noop("e.g. module.tasks.result_function"),
    gettext_noop("e.g. 1, 2, 'John'"),
    gettext_noop("e.g. x=1, y=2, name='John'"),
    gettext_noop("Once"),
    gettext_noop("Minutes"),
    gettext_noop("Hourly"),
    gettext_noop("Daily"),
    gettext_noop("Weekly"),
    gettext_noop("Biweekly"),
    gettext_noop("Monthly"),
    gettext_noop("Bimonthly"),
    gettext_noop("Quarterly"),
    gettext_noop("Yearly"),
    gettext_noop("Cron"),
    gettext_noop("Schedule Type"),
    gettext_noop("How often this task should be enqueued."),
    gettext_noop("Number of minutes for the Minutes type"),
    gettext_noop("Repeats"),
    gettext_noop("n = n times, -1 = forever"),
    gettext_noop("Next Run"),
    gettext_noop("When this schedule runs next (stored in UTC)."),
    gettext_noop("Cron expression"),
    gettext_noop("Last task id"),
    gettext_noop("Id of the last task spawned from this schedule (read-only)."),
    gettext_noop("Name of the target cluster"),
    gettext_noop("Intended date kwarg"),
    gettext_noop("Name of kwarg to pass intended schedule date"),
    gettext_noop("Scheduled task"),
    gettext_noop("Scheduled tasks"),
    gettext_noop("Cluster key"),
    gettext_noop("Payload"),
    gettext_noop("Signed serialized task package (do not edit manually)."),
    gettext_noop("Lock until"),
    gettext_noop("Prevent any cluster from pulling until"),
    gettext_noop("Queue options"),
    gettext_noop("Queued task"),
    # django-import-export (导入导出表单)
    gettext_noop("%s through import_export"),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop(
        "No valid data to import. Ensure your file has the correct headers or data for import."
    ),
    gettext_noop("Export"),
    gettext_noop("Export selected %(verbose_name_plural)s"),
    gettext_noop("File to import"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop(
        "The following fields are declared in 'import_id_fields' but are not present in the resource fields: %s"
    ),
    gettext_noop(
        "The following fields are declared in 'import_id_fields' but are not present in the file headers: %s"
    ),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"
    ),
    gettext_noop("Confirm import"),
    gettext_noop("Errors"),
    gettext_noop("Line number"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop(
        "Please correct these errors in your data where possible, then reupload it using the form above."
    ),
    gettext_noop("Row"),
    gettext_noop("Non field specific"),
    gettext_noop("Skipped"),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("Value could not be parsed."),
    # django-simple-history (历史记录、恢复)
    gettext_noop("View history: %s"),
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
    gettext_noop("You may edit it again below"),
    gettext_noop("Revert %s"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop("Deleted %(type_name)s"),
    gettext_noop(
        "Choose a date from the list below to revert to a previous version of this object."
    ),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("Press the 'Change History' button below to edit the history."),
    gettext_noop("Object"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Changes"),
    gettext_noop("Revert"),
    gettext_noop("Change History"),
    # django-unfold contrib (filters, forms, import_export, simple_history, guardian...)
    gettext_noop("Collapse"),
    gettext_noop("Default"),
    gettext_noop("Current file"),
    gettext_noop("Reset to default"),
    gettext_noop("Not enough data."),
    gettext_noop("Add new item"),
    gettext_noop("Paragraph"),
    gettext_noop("Underlined"),
    gettext_noop("Bold"),
    gettext_noop("Italic"),
    gettext_noop("Strike"),
    gettext_noop("Heading"),
    gettext_noop("Quote"),
    gettext_noop("Unordered list"),
    gettext_noop("Ordered list"),
    gettext_noop("Indent increase"),
    gettext_noop("Indent decrease"),
    gettext_noop("Undo"),
    gettext_noop("Redo"),
    gettext_noop("Enter an URL"),
    gettext_noop("Unlink"),
    gettext_noop("Object permissions"),
    gettext_noop("Group permissions"),
    gettext_noop("Manage group"),
    gettext_noop("User permissions"),
    gettext_noop("Manage user"),
    gettext_noop("impersonate %(username)s"),
    gettext_noop("You are currently working on behalf of <em>%(user)s</em>."),
    gettext_noop("stop impersonating"),
    gettext_noop("hide warning"),
    gettext_noop("Recover deleted %(name)s"),
    gettext_noop(
        "This object doesn't have a change history. It probably wasn't added via this admin site."
    ),
    gettext_noop("Press the save button below to recover this version of the object."),
    gettext_noop("Choose a date from the list below to recover a deleted version of an object."),
    gettext_noop("There are no deleted objects to recover"),
    gettext_noop("Press the save button below to revert to this version of the object."),
    gettext_noop("compare"),
    gettext_noop(
        '\n            Compare <strong class="font-semibold underline">%(date1)s</strong> with <strong class="font-semibold underline">%(date2)s</strong>\n        '
    ),
    gettext_noop("Go back to history list"),
    gettext_noop("Revert to this version"),
    gettext_noop(
        '\n                Fields/entries marked with <sup class="follow">*</sup> are not under reversion control.\n                It may be that not all marked information are correct.\n            '
    ),
    gettext_noop("previous"),
    gettext_noop("next"),
    gettext_noop("There are no differences."),
    gettext_noop("Edit comment:"),
    gettext_noop("(no comment exists)"),
    gettext_noop(
        "Choose a date from the list below to revert to a previous version of this object"
    ),
    gettext_noop("Field"),
    gettext_noop("Old value"),
    gettext_noop("New value"),
    gettext_noop(
        'Raw passwords are not stored, so there is no way to see this user’s password, but you can change the password using <a href="{}" class="text-primary-600 dark:text-primary-500">this form</a>.'
    ),
    gettext_noop("Dataset not found. No action performed."),
    gettext_noop("Select value"),
    gettext_noop(
        'Field <strong class="font-semibold">{field_name}</strong> is not an autocomplete field. Please add it to the `autocomplete_fields` list.'
    ),
    gettext_noop("You can not create nested object without parent"),
    gettext_noop("After you've created a user, you’ll be able to edit more user options."),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in deleting related objects, but your account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would require deleting the following protected related objects:"
    ),
    gettext_noop(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? All of the following related items will be deleted:'
    ),
    # Django 6's empty choice of a select
    gettext_noop("- Select an option -"),
)

CONTEXT_STRINGS = (pgettext_lazy("verb", "impersonate"),)


def _plurals():  # never called: makemessages reads the calls
    ngettext(
        "\n                    Export %(len)s selected item.\n                ",
        "\n                    Export %(len)s selected items.\n                ",
        1,
    )
    ngettext(
        '\n            Found <span class="font-medium text-important">%(counter)s</span> result in %(time)s seconds\n        ',
        '\n            Found <span class="font-medium text-important">%(counter)s</span> results in %(time)s seconds\n        ',
        1,
    )
